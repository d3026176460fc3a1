export { Htpasswd } from './htpasswd.js';
