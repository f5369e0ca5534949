// File storage backends (STORAGE_TYPE): drives the spec enum, the wizard and the renderers.

export type StorageCredential = 'accessKey' | 'secretKey' | 'serviceAccountJsonBase64';

export interface StorageBackend {
  id: string;
  label: string;
  /** Dify's STORAGE_TYPE value. */
  difyType: string;
  /** The plugin daemon's PLUGIN_STORAGE_TYPE value, when it supports this store. */
  pluginType?: string;
  /** Spec fields it needs (credentials aside). */
  requires: readonly ('bucket' | 'endpoint' | 'region' | 'accountName' | 'accountUrl')[];
  /** Credentials it needs: from the spec, else the secrets store (STORAGE_ACCESS_KEY, …; see src/render/secrets.ts). */
  credentials: readonly StorageCredential[];
  /** The process may authenticate with the machine's own identity instead (S3_USE_AWS_MANAGED_IAM). */
  iam?: boolean;
  /** The dify-helm `external*` block. */
  helmExternalKey?: string;
  /** Shared by several hosts: required as soon as more than one machine serves Dify. */
  shared: boolean;
}

export const STORAGE_BACKENDS = [
  { id: 'local', label: 'Local volume (single host only)', difyType: 'opendal', pluginType: 'local', requires: [], credentials: [], shared: false },
  { id: 's3', label: 'Amazon S3 or S3-compatible', difyType: 's3', pluginType: 'aws_s3', requires: ['bucket', 'region'], credentials: ['accessKey', 'secretKey'], iam: true, helmExternalKey: 'externalS3', shared: true },
  { id: 'azure-blob', label: 'Azure Blob Storage', difyType: 'azure-blob', pluginType: 'azure_blob', requires: ['bucket', 'accountName', 'accountUrl'], credentials: ['secretKey'], helmExternalKey: 'externalAzureBlobStorage', shared: true },
  { id: 'aliyun-oss', label: 'Alibaba Cloud OSS', difyType: 'aliyun-oss', pluginType: 'aliyun_oss', requires: ['bucket', 'endpoint', 'region'], credentials: ['accessKey', 'secretKey'], helmExternalKey: 'externalOSS', shared: true },
  { id: 'google-storage', label: 'Google Cloud Storage', difyType: 'google-storage', requires: ['bucket'], credentials: ['serviceAccountJsonBase64'], helmExternalKey: 'externalGCS', shared: true },
  { id: 'tencent-cos', label: 'Tencent Cloud COS', difyType: 'tencent-cos', pluginType: 'tencent_cos', requires: ['bucket', 'region'], credentials: ['accessKey', 'secretKey'], helmExternalKey: 'externalCOS', shared: true },
  { id: 'huawei-obs', label: 'Huawei Cloud OBS', difyType: 'huawei-obs', requires: ['bucket', 'endpoint'], credentials: ['accessKey', 'secretKey'], helmExternalKey: 'externalOBS', shared: true },
  { id: 'volcengine-tos', label: 'Volcengine TOS', difyType: 'volcengine-tos', pluginType: 'volcengine_tos', requires: ['bucket', 'endpoint', 'region'], credentials: ['accessKey', 'secretKey'], helmExternalKey: 'externalTOS', shared: true },
] as const satisfies readonly StorageBackend[];

export type StorageId = (typeof STORAGE_BACKENDS)[number]['id'];
export const STORAGE_IDS = STORAGE_BACKENDS.map((s) => s.id) as [StorageId, ...StorageId[]];

export function storageBackend(id: string): StorageBackend {
  const found = (STORAGE_BACKENDS as readonly StorageBackend[]).find((s) => s.id === id);
  if (!found) throw new Error(`unknown storage type ${id}`);
  return found;
}
