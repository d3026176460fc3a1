import type { BlobSource, RemoteFile } from './blob-source.js';
import { TransferError, type TransferHttp } from './transfer-http.js';

/** Range reads of a version's files: `GET <base>/files/<path>` (the path's segments encoded). */
export class ApiFileSource implements BlobSource {
  constructor(
    private readonly http: TransferHttp,
    /** `/api/v1/registries/<r>/<kinds>/<name>/versions/<v>` */
    private readonly versionPath: string,
  ) {}

  async read(file: RemoteFile, start: number, end: number, signal: AbortSignal) {
    const path = file.path.split('/').map(encodeURIComponent).join('/');
    const res = await this.http.send({
      method: 'GET',
      url: `${this.versionPath}/files/${path}`,
      headers: { Range: `bytes=${start}-${end}` },
      signal,
    });
    const whole = res.status === 200 && start === 0 && end === file.size - 1;
    if (res.status !== 206 && !whole) {
      if (res.ok) {
        await res.body?.cancel();
        throw new TransferError(`${file.path}: the server ignored the byte range`, res.status, false);
      }
      throw await this.http.failure(res);
    }
    if (!res.body) throw new TransferError(`${file.path}: empty answer`, res.status, true);
    return res.body as AsyncIterable<Uint8Array>;
  }
}
