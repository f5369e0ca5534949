// One const list drives the spec enum, the wizard's choices and every renderer's
// per-store settings (shape borrowed from create-t3-app's installer map).

export interface VectorStoreBackend {
  id: string;
  label: string;
  /** The compose service (and profile) upstream bundles for it, if any. */
  bundledService?: string;
  /** Spec fields an external instance must give. */
  externalRequires: readonly ('url' | 'host' | 'port' | 'user' | 'password' | 'apiKey' | 'database')[];
  /** Spec fields an external instance may give (its authentication, when it has one on). */
  externalOptional?: readonly ('user' | 'password' | 'apiKey')[];
  /** The dify-helm chart can run it as a subchart. */
  helmBundled?: boolean;
  /** The dify-helm `external*` block that configures it, when the chart has one. */
  helmExternalKey?: string;
  /** Opens pools against a PostgreSQL server (counts in the budget when that is the metadata server). */
  postgresPool?: { maxVar: string; default: number };
}

export const VECTOR_STORES = [
  { id: 'weaviate', label: 'Weaviate', bundledService: 'weaviate', externalRequires: ['url', 'apiKey'], helmBundled: true, helmExternalKey: 'externalWeaviate' },
  { id: 'qdrant', label: 'Qdrant', bundledService: 'qdrant', externalRequires: ['url'], externalOptional: ['apiKey'], helmExternalKey: 'externalQdrant' },
  { id: 'pgvector', label: 'PostgreSQL + pgvector', bundledService: 'pgvector', externalRequires: ['host', 'user', 'password', 'database'], helmExternalKey: 'externalPgvector', postgresPool: { maxVar: 'PGVECTOR_MAX_CONNECTION', default: 5 } },
  { id: 'milvus', label: 'Milvus', bundledService: 'milvus-standalone', externalRequires: ['url'], externalOptional: ['user', 'password', 'apiKey'], helmExternalKey: 'externalMilvus' },
  { id: 'elasticsearch', label: 'Elasticsearch', bundledService: 'elasticsearch', externalRequires: ['host', 'user', 'password'], helmExternalKey: 'externalElasticsearch' },
  { id: 'opensearch', label: 'OpenSearch', bundledService: 'opensearch', externalRequires: ['host', 'user', 'password'] },
  { id: 'chroma', label: 'Chroma', bundledService: 'chroma', externalRequires: ['host', 'password'] },
  { id: 'oceanbase', label: 'OceanBase', bundledService: 'oceanbase', externalRequires: ['host', 'user', 'password', 'database'] },
  { id: 'myscale', label: 'MyScale', bundledService: 'myscale', externalRequires: ['host', 'user', 'password'], helmExternalKey: 'externalMyScaleDB' },
  { id: 'tencent', label: 'Tencent Cloud VectorDB', externalRequires: ['url', 'user', 'apiKey'], helmExternalKey: 'externalTencentVectorDB' },
  // database = TABLESTORE_INSTANCE_NAME, which Dify requires.
  { id: 'tablestore', label: 'Alibaba Cloud TableStore', externalRequires: ['url', 'user', 'password', 'database'], helmExternalKey: 'externalTableStore' },
  { id: 'analyticdb', label: 'Alibaba Cloud AnalyticDB', externalRequires: ['host', 'user', 'password'] },
] as const satisfies readonly VectorStoreBackend[];

export type VectorStoreId = (typeof VECTOR_STORES)[number]['id'];
export const VECTOR_STORE_IDS = VECTOR_STORES.map((v) => v.id) as [VectorStoreId, ...VectorStoreId[]];

export function vectorStoreBackend(id: string): VectorStoreBackend {
  const found = (VECTOR_STORES as readonly VectorStoreBackend[]).find((v) => v.id === id);
  if (!found) throw new Error(`unknown vector store ${id}`);
  return found;
}
