/**
 * The one error type services throw. Each surface renders it in its own dialect
 * (OCI error JSON under /v2, problem+json under /api).
 */

/** Every error code, registered once with its HTTP status and default message. */
export const errorCodes = {
  BLOB_UNKNOWN: { status: 404, message: 'blob unknown to registry' },
  BLOB_UPLOAD_INVALID: { status: 400, message: 'blob upload invalid' },
  BLOB_UPLOAD_UNKNOWN: { status: 404, message: 'blob upload unknown to registry' },
  DIGEST_INVALID: { status: 400, message: 'provided digest did not match uploaded content' },
  MANIFEST_BLOB_UNKNOWN: {
    status: 400,
    message: 'manifest references a manifest or blob unknown to registry',
  },
  MANIFEST_INVALID: { status: 400, message: 'manifest invalid' },
  MANIFEST_UNKNOWN: { status: 404, message: 'manifest unknown to registry' },
  NAME_INVALID: { status: 400, message: 'invalid repository name' },
  NAME_UNKNOWN: { status: 404, message: 'repository name not known to registry' },
  SIZE_INVALID: { status: 400, message: 'provided length did not match content length' },
  PAGINATION_NUMBER_INVALID: { status: 400, message: 'invalid number of results requested' },
  UNAUTHORIZED: { status: 401, message: 'authentication required' },
  DENIED: { status: 403, message: 'requested access to the resource is denied' },
  UNSUPPORTED: { status: 405, message: 'the operation is unsupported' },
  TOOMANYREQUESTS: { status: 429, message: 'too many requests' },
  UNAVAILABLE: { status: 503, message: 'service unavailable' },
  UNKNOWN: { status: 500, message: 'unknown error' },
  CATALOG_REQUEST_INVALID: { status: 400, message: 'invalid catalog request' },
  CATALOG_ENTRY_UNKNOWN: { status: 404, message: 'container registry not found' },
  CATALOG_ENTRY_EXISTS: { status: 409, message: 'container registry already exists' },
  CATALOG_ENTRY_MANAGED: { status: 409, message: 'container registry is managed by Arca' },
  CATALOG_QUERY_TOO_EXPENSIVE: { status: 400, message: 'catalog query too expensive' },
  CREDENTIAL_INVALID: { status: 400, message: 'invalid credential request' },
  CREDENTIAL_UNKNOWN: { status: 404, message: 'credential not found' },
  CREDENTIAL_IN_USE: { status: 409, message: 'credential is in use' },
  REGISTRY_INVALID: { status: 400, message: 'invalid registry request' },
  REGISTRY_UNKNOWN: { status: 404, message: 'registry not found' },
  REGISTRY_EXISTS: { status: 409, message: 'registry already exists' },
  REGISTRY_NOT_EMPTY: { status: 409, message: 'registry still holds content' },
  // assets: versioned models, datasets, environments and components
  ASSET_INVALID: { status: 400, message: 'invalid asset request' },
  ASSET_CARD_INVALID: { status: 400, message: 'invalid card' },
  ASSET_FILE_MISSING: { status: 400, message: 'a file of the version is not in the repository' },
  ASSET_LINEAGE_INVALID: { status: 400, message: 'invalid lineage link' },
  ASSET_ADDRESS_INVALID: { status: 400, message: 'invalid asset address' },
  ASSET_UNKNOWN: { status: 404, message: 'asset not found' },
  ASSET_VERSION_UNKNOWN: { status: 404, message: 'asset version not found' },
  ASSET_FILE_UNKNOWN: { status: 404, message: 'no such file in the version' },
  ASSET_EXISTS: { status: 409, message: 'asset already exists' },
  ASSET_VERSION_EXISTS: {
    status: 409,
    message: 'version already published (versions are immutable, deleted numbers are never reused)',
    oci: 'DENIED',
  },
  ASSET_LABEL_RESERVED: { status: 409, message: 'the label is maintained by the server' },
  // hardening (http): bodies that are not JSON
  MEDIA_TYPE_UNSUPPORTED: { status: 415, message: 'unsupported media type' },
  // house (api): generic codes of any surface, beside the domain ones; each status has a code, so no
  // call site overrides one. `oci` is the name the /v2 dialect gives the code (the spec's closed list).
  REQUEST_INVALID: { status: 400, message: 'invalid request' },
  NOT_FOUND: { status: 404, message: 'not found' },
  CONFLICT: { status: 409, message: 'conflict' },
  PRECONDITION_FAILED: { status: 412, message: 'precondition failed', oci: 'DENIED' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'payload too large', oci: 'SIZE_INVALID' },
  URI_TOO_LONG: { status: 414, message: 'request URI too long', oci: 'NAME_INVALID' },
  BLOB_UPLOAD_RANGE_INVALID: { status: 416, message: 'upload range invalid', oci: 'BLOB_UPLOAD_INVALID' },
  RANGE_NOT_SATISFIABLE: { status: 416, message: 'requested range not satisfiable', oci: 'BLOB_UNKNOWN' },
} as const satisfies Record<string, { status: number; message: string; oci?: string }>;

export type ErrorCode = keyof typeof errorCodes;

/** The code as the OCI distribution dialect (/v2) names it: its own, unless registered otherwise. */
export function ociCodeOf(code: ErrorCode): string {
  const entry = errorCodes[code];
  return 'oci' in entry ? entry.oci : code;
}

/** The code registered for a client-error status, for errors that carry only a status (Fastify's own). */
export function codeForStatus(status: number): ErrorCode {
  switch (status) {
    case 404:
      return 'NOT_FOUND';
    case 405:
      return 'UNSUPPORTED';
    case 409:
      return 'CONFLICT';
    case 413:
      return 'PAYLOAD_TOO_LARGE';
    case 415:
      return 'MEDIA_TYPE_UNSUPPORTED';
    case 416:
      return 'RANGE_NOT_SATISFIABLE';
    case 429:
      return 'TOOMANYREQUESTS';
    default:
      return 'REQUEST_INVALID';
  }
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly detail: unknown;
  /** Extra response headers the surface should send (e.g. Range on a 416). */
  readonly headers: Record<string, string>;

  constructor(
    code: ErrorCode,
    message?: string,
    detail?: unknown,
    // No status here: a code's status is the one registered for it (register a new code instead).
    options: { headers?: Record<string, string> } = {},
  ) {
    super(message ?? errorCodes[code].message);
    this.name = 'AppError';
    this.code = code;
    this.status = errorCodes[code].status;
    this.detail = detail;
    this.headers = options.headers ?? {};
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}
