export { FilesystemDriver } from './driver.js';
