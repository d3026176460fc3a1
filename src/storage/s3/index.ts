export { S3Driver } from './driver.js';
export type { S3DriverOptions } from './client.js';
