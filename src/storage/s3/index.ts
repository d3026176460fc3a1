export { S3Driver } from './driver.js';
export type { S3DriverOptions } from './client.js';
export { createS3Client, createHttpsAgent, endpointOf } from './client.js';
