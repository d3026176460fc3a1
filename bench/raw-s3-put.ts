import { open } from 'node:fs/promises';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';

/**
 * The S3 limit of a machine for one object: a file put into a bucket with the AWS SDK alone, as a
 * multipart upload of `partSize` parts with `inFlight` of them sent at once (each read from the file
 * into its own buffer). No replicator streaming into that bucket can beat it. Resolves to seconds.
 */
export async function rawMultipartPut(
  client: S3Client,
  bucket: string,
  key: string,
  file: string,
  size: number,
  { partSize, inFlight }: { partSize: number; inFlight: number },
): Promise<number> {
  const t0 = performance.now();
  const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
  const count = Math.ceil(size / partSize);
  const parts: { PartNumber: number; ETag?: string }[] = [];
  const fd = await open(file);
  try {
    let next = 0;
    const sender = async () => {
      for (let i = next++; i < count; i = next++) {
        const body = Buffer.allocUnsafe(Math.min(partSize, size - i * partSize));
        await fd.read(body, 0, body.length, i * partSize);
        const res = await client.send(
          new UploadPartCommand({
            Bucket: bucket,
            Key: key,
            UploadId,
            PartNumber: i + 1,
            Body: body,
            ContentLength: body.length,
          }),
        );
        parts[i] = { PartNumber: i + 1, ETag: res.ETag };
      }
    };
    await Promise.all(Array.from({ length: inFlight }, sender));
  } finally {
    await fd.close();
  }
  await client.send(
    new CompleteMultipartUploadCommand({
      Bucket: bucket,
      Key: key,
      UploadId,
      MultipartUpload: { Parts: parts },
    }),
  );
  return (performance.now() - t0) / 1000;
}
