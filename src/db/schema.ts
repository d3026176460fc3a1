/** Table types of the metadata database: each room declares its own in its `tables.ts`. Times are milliseconds since the epoch. */

import type { OciTables } from '../oci/index.js';
import type { CatalogTables } from '../catalog/index.js';
import type { AccessTables } from '../access/index.js';
import type { CredentialsTables } from '../credentials/index.js';
import type { RegistriesTables } from '../registries/index.js';
import type { AssetsTables } from '../assets/index.js';
import type { JobsTables } from '../jobs/index.js';
import type { NotificationsTables } from '../notifications/index.js';

export type Database = OciTables &
  CatalogTables &
  AccessTables &
  CredentialsTables &
  RegistriesTables &
  AssetsTables &
  JobsTables &
  NotificationsTables;
