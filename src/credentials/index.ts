export {
  CredentialService,
  checkCredentialName,
  credentialKey,
  type CredentialUser,
  type CredentialView,
  type OpenedCredential,
} from './credential-service.js';
export { MasterKeys } from './master-keys.js';
export { credentialTypes, type CredentialType, type CredentialPayload } from './payload.js';
export { testRegistryLogin, type CredentialTestResult, type RegistryLogin } from './registry-login.js';
export { catalogCredentials } from './catalog-credentials.js';
export { catalogCredentialUser } from './catalog-users.js';
export { testBucketAccess } from './bucket-test.js';
export type { CredentialsTables } from './tables.js';
