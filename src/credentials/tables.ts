/** Stored credentials: the payload is encrypted (AES-256-GCM); only the masked view is derivable. */
export interface CredentialsTable {
  namespace: string;
  /** As given; unique per namespace regardless of case (see `name_key`). */
  name: string;
  /** Lowercased name, the uniqueness key. */
  name_key: string;
  /** 'REGISTRY' | 'DATA' | 'GENERIC' */
  type: string;
  /** Which master key encrypted `sealed`. */
  key_id: string;
  /** base64 of iv (12 bytes) ‖ ciphertext ‖ tag (16 bytes); the AAD binds namespace, name and type. */
  sealed: string;
  created_at: number;
  updated_at: number;
  created_by: string | null;
}

/** This room's tables, by name: its part of the metadata database. */
export interface CredentialsTables {
  credentials: CredentialsTable;
}
