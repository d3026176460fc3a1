/** An object or upload that does not exist. */
export class StorageNotFound extends Error {
  constructor(path: string, options?: ErrorOptions) {
    super(`storage: not found: ${path}`, options);
    this.name = 'StorageNotFound';
  }
}

/** A write that does not fit the stored state (an append at another offset than the upload's size). */
export class StorageConflict extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StorageConflict';
  }
}

/** A path or upload key the storage layer refuses before any backend sees it. */
export class InvalidStoragePath extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidStoragePath';
  }
}
