// Types of kms.mjs for the Deno tests' type check.
export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}
export interface KeyMetadata {
  KeyId: string;
  Arn: string;
  AWSAccountId: string;
  [field: string]: unknown;
}
export declare class Admin {
  constructor(endpoint: string, region: string, credentials: Credentials);
  call(operation: string, body: Record<string, unknown>): Promise<Record<string, string>>;
  createKey(params?: Record<string, unknown>): Promise<KeyMetadata>;
}
export declare function startServer(extraArgs?: string[]): Promise<{
  endpoint: string;
  region: string;
  credentials: Credentials;
  admin: Admin;
  stop(): Promise<void>;
}>;
