// Per storage backend and per vector store, what compose needs, as data (issue 25: objects, not a
// text template parsed back): the variables api/worker read (.env; values are made strings by
// model.ts, an absent one is '') and, for a bundled vector store, the services that run it.
// Services read secrets from .env (`required`), so each key has one source and both sides agree.
// Every call returns fresh objects: a shared one would be written as a YAML anchor and alias.
import type { Spec } from '../../core/spec.js';
import { required } from './services.js';

type Storage = Spec['storage'];
type VectorStore = Spec['vectorStore'];
type Env = Record<string, unknown>;

/**
 * The storage backend's variables and, where the plugin daemon supports the store, the PLUGIN_*
 * variables docker-compose.yaml maps onto the daemon's own names.
 */
export function storageVariables(st: Storage, azureConnectionString: string): Env {
  const pluginBucket = st.pluginBucket || st.bucket;
  switch (st.type) {
    case 'local':
      return { STORAGE_TYPE: 'opendal', OPENDAL_SCHEME: 'fs', OPENDAL_FS_ROOT: 'storage', PLUGIN_STORAGE_TYPE: 'local' };
    case 's3':
      return {
        STORAGE_TYPE: 's3',
        S3_ENDPOINT: st.endpoint,
        S3_REGION: st.region,
        S3_BUCKET_NAME: st.bucket,
        S3_ACCESS_KEY: st.accessKey,
        S3_SECRET_KEY: st.secretKey,
        S3_USE_AWS_MANAGED_IAM: st.useIam || false,
        PLUGIN_STORAGE_TYPE: 'aws_s3',
        PLUGIN_STORAGE_OSS_BUCKET: pluginBucket,
        PLUGIN_S3_USE_AWS: st.endpoint ? 'false' : 'true',
        PLUGIN_S3_USE_AWS_MANAGED_IAM: st.useIam || false,
        PLUGIN_S3_ENDPOINT: st.endpoint,
        PLUGIN_S3_USE_PATH_STYLE: st.pathStyle || false,
        PLUGIN_AWS_ACCESS_KEY: st.accessKey,
        PLUGIN_AWS_SECRET_KEY: st.secretKey,
        PLUGIN_AWS_REGION: st.region,
      };
    case 'azure-blob':
      return {
        STORAGE_TYPE: 'azure-blob',
        AZURE_BLOB_ACCOUNT_NAME: st.accountName,
        AZURE_BLOB_ACCOUNT_KEY: st.secretKey,
        AZURE_BLOB_CONTAINER_NAME: st.bucket,
        AZURE_BLOB_ACCOUNT_URL: st.accountUrl,
        PLUGIN_STORAGE_TYPE: 'azure_blob',
        PLUGIN_STORAGE_OSS_BUCKET: pluginBucket,
        PLUGIN_AZURE_BLOB_STORAGE_CONTAINER_NAME: pluginBucket,
        PLUGIN_AZURE_BLOB_STORAGE_CONNECTION_STRING: azureConnectionString,
      };
    case 'aliyun-oss':
      return {
        STORAGE_TYPE: 'aliyun-oss',
        ALIYUN_OSS_BUCKET_NAME: st.bucket,
        ALIYUN_OSS_ACCESS_KEY: st.accessKey,
        ALIYUN_OSS_SECRET_KEY: st.secretKey,
        ALIYUN_OSS_ENDPOINT: st.endpoint,
        ALIYUN_OSS_REGION: st.region,
        ALIYUN_OSS_AUTH_VERSION: 'v4',
        PLUGIN_STORAGE_TYPE: 'aliyun_oss',
        PLUGIN_STORAGE_OSS_BUCKET: pluginBucket,
        PLUGIN_ALIYUN_OSS_REGION: st.region,
        PLUGIN_ALIYUN_OSS_ENDPOINT: st.endpoint,
        PLUGIN_ALIYUN_OSS_ACCESS_KEY_ID: st.accessKey,
        PLUGIN_ALIYUN_OSS_ACCESS_KEY_SECRET: st.secretKey,
        PLUGIN_ALIYUN_OSS_AUTH_VERSION: 'v4',
      };
    case 'google-storage':
      return {
        STORAGE_TYPE: 'google-storage',
        GOOGLE_STORAGE_BUCKET_NAME: st.bucket,
        GOOGLE_STORAGE_SERVICE_ACCOUNT_JSON_BASE64: st.serviceAccountJsonBase64,
        PLUGIN_STORAGE_TYPE: 'local',
      };
    case 'tencent-cos':
      return {
        STORAGE_TYPE: 'tencent-cos',
        TENCENT_COS_BUCKET_NAME: st.bucket,
        TENCENT_COS_SECRET_ID: st.accessKey,
        TENCENT_COS_SECRET_KEY: st.secretKey,
        TENCENT_COS_REGION: st.region,
        TENCENT_COS_SCHEME: 'https',
        PLUGIN_STORAGE_TYPE: 'tencent_cos',
        PLUGIN_STORAGE_OSS_BUCKET: pluginBucket,
        PLUGIN_TENCENT_COS_SECRET_ID: st.accessKey,
        PLUGIN_TENCENT_COS_SECRET_KEY: st.secretKey,
        PLUGIN_TENCENT_COS_REGION: st.region,
      };
    case 'huawei-obs':
      return {
        STORAGE_TYPE: 'huawei-obs',
        HUAWEI_OBS_BUCKET_NAME: st.bucket,
        HUAWEI_OBS_ACCESS_KEY: st.accessKey,
        HUAWEI_OBS_SECRET_KEY: st.secretKey,
        HUAWEI_OBS_SERVER: st.endpoint,
        PLUGIN_STORAGE_TYPE: 'local',
      };
    case 'volcengine-tos':
      return {
        STORAGE_TYPE: 'volcengine-tos',
        VOLCENGINE_TOS_BUCKET_NAME: st.bucket,
        VOLCENGINE_TOS_ACCESS_KEY: st.accessKey,
        VOLCENGINE_TOS_SECRET_KEY: st.secretKey,
        VOLCENGINE_TOS_ENDPOINT: st.endpoint,
        VOLCENGINE_TOS_REGION: st.region,
        PLUGIN_STORAGE_TYPE: 'volcengine_tos',
        PLUGIN_STORAGE_OSS_BUCKET: pluginBucket,
        PLUGIN_VOLCENGINE_TOS_ENDPOINT: st.endpoint,
        PLUGIN_VOLCENGINE_TOS_ACCESS_KEY: st.accessKey,
        PLUGIN_VOLCENGINE_TOS_SECRET_KEY: st.secretKey,
        PLUGIN_VOLCENGINE_TOS_REGION: st.region,
      };
  }
}

export interface VectorStoreDefinition {
  env: Env;
  services?: Record<string, Record<string, unknown>>;
  networks?: Record<string, unknown>;
  volumes?: Record<string, unknown>;
}

interface VectorStoreInputs {
  bundled: boolean;
  vs: VectorStore;
  secrets: Record<string, string>;
  images: Record<string, string | undefined>;
}

/** The bundled value, else the spec's. */
const pick = (bundled: boolean, inside: unknown, outside: unknown) => (bundled ? inside : outside);

const curlHealth = (url: string, interval: string, timeout: string, retries: number, startPeriod?: string) => ({
  test: ['CMD', 'curl', '-f', url],
  interval,
  ...(startPeriod ? { start_period: startPeriod } : {}),
  timeout,
  retries,
});

/** The vector store's variables and, when bundled, the services, networks and volumes that run it. */
export function vectorStoreDefinition({ bundled, vs, secrets, images }: VectorStoreInputs): VectorStoreDefinition {
  switch (vs.type) {
    case 'weaviate':
      return {
        env: {
          VECTOR_STORE: 'weaviate',
          WEAVIATE_ENDPOINT: pick(bundled, 'http://weaviate:8080', vs.url),
          WEAVIATE_API_KEY: pick(bundled, secrets.WEAVIATE_API_KEY, vs.apiKey),
          ...(bundled ? { WEAVIATE_GRPC_ENDPOINT: 'grpc://weaviate:50051' } : {}),
        },
        services: {
          weaviate: {
            image: images.weaviate,
            restart: 'always',
            volumes: ['./volumes/weaviate:/var/lib/weaviate'],
            environment: {
              PERSISTENCE_DATA_PATH: '/var/lib/weaviate',
              QUERY_DEFAULTS_LIMIT: '25',
              AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED: 'false',
              DEFAULT_VECTORIZER_MODULE: 'none',
              CLUSTER_HOSTNAME: 'node1',
              AUTHENTICATION_APIKEY_ENABLED: 'true',
              AUTHENTICATION_APIKEY_ALLOWED_KEYS: required('WEAVIATE_API_KEY'),
              AUTHENTICATION_APIKEY_USERS: 'hello@dify.ai',
              AUTHORIZATION_ADMINLIST_ENABLED: 'true',
              AUTHORIZATION_ADMINLIST_USERS: 'hello@dify.ai',
              DISABLE_TELEMETRY: 'true',
            },
          },
        },
      };
    case 'qdrant':
      return {
        env: {
          VECTOR_STORE: 'qdrant',
          QDRANT_URL: pick(bundled, 'http://qdrant:6333', vs.url),
          QDRANT_API_KEY: pick(bundled, secrets.QDRANT_API_KEY, vs.apiKey),
          QDRANT_CLIENT_TIMEOUT: '20',
          QDRANT_GRPC_ENABLED: 'false',
          QDRANT_GRPC_PORT: '6334',
        },
        services: {
          qdrant: { image: images.qdrant, restart: 'always', volumes: ['./volumes/qdrant:/qdrant/storage'], environment: { QDRANT_API_KEY: required('QDRANT_API_KEY') } },
        },
      };
    case 'pgvector':
      return {
        env: {
          VECTOR_STORE: 'pgvector',
          PGVECTOR_HOST: pick(bundled, 'pgvector', vs.host),
          PGVECTOR_PORT: vs.port || 5432,
          PGVECTOR_USER: pick(bundled, 'postgres', vs.user),
          PGVECTOR_PASSWORD: pick(bundled, secrets.PGVECTOR_PASSWORD, vs.password),
          PGVECTOR_DATABASE: vs.database || 'dify',
          PGVECTOR_MIN_CONNECTION: '1',
          PGVECTOR_MAX_CONNECTION: '5',
        },
        services: {
          pgvector: {
            image: images.pgvector,
            restart: 'always',
            environment: {
              PGUSER: required('PGVECTOR_USER'),
              POSTGRES_PASSWORD: required('PGVECTOR_PASSWORD'),
              POSTGRES_DB: required('PGVECTOR_DATABASE'),
              PGDATA: '/var/lib/postgresql/data/pgdata',
            },
            volumes: ['./volumes/pgvector/data:/var/lib/postgresql/data'],
            healthcheck: { test: ['CMD', 'pg_isready'], interval: '1s', timeout: '3s', retries: 30 },
          },
        },
      };
    case 'milvus':
      return {
        env: {
          VECTOR_STORE: 'milvus',
          MILVUS_URI: pick(bundled, 'http://milvus-standalone:19530', vs.url),
          MILVUS_USER: pick(bundled, 'root', vs.user),
          MILVUS_PASSWORD: pick(bundled, secrets.MILVUS_PASSWORD, vs.password),
          MILVUS_TOKEN: pick(bundled, '', vs.apiKey),
          MILVUS_DATABASE: vs.database,
          ...(bundled ? { MINIO_ACCESS_KEY: 'dify-milvus', MINIO_SECRET_KEY: secrets.MINIO_SECRET_KEY } : {}),
        },
        services: {
          etcd: {
            image: images.etcd,
            restart: 'always',
            environment: {
              ETCD_AUTO_COMPACTION_MODE: 'revision',
              ETCD_AUTO_COMPACTION_RETENTION: '1000',
              ETCD_QUOTA_BACKEND_BYTES: '4294967296',
              ETCD_SNAPSHOT_COUNT: '50000',
            },
            volumes: ['./volumes/milvus/etcd:/etcd'],
            command: 'etcd -advertise-client-urls=http://127.0.0.1:2379 -listen-client-urls http://0.0.0.0:2379 --data-dir /etcd',
            healthcheck: { test: ['CMD', 'etcdctl', 'endpoint', 'health'], interval: '30s', timeout: '20s', retries: 3 },
            networks: ['milvus'],
          },
          minio: {
            image: images.minio,
            restart: 'always',
            environment: { MINIO_ACCESS_KEY: required('MINIO_ACCESS_KEY'), MINIO_SECRET_KEY: required('MINIO_SECRET_KEY') },
            volumes: ['./volumes/milvus/minio:/minio_data'],
            command: 'minio server /minio_data --console-address ":9001"',
            healthcheck: curlHealth('http://localhost:9000/minio/health/live', '30s', '20s', 3),
            networks: ['milvus'],
          },
          'milvus-standalone': {
            image: images.milvus,
            restart: 'always',
            command: ['milvus', 'run', 'standalone'],
            environment: {
              ETCD_ENDPOINTS: 'etcd:2379',
              MINIO_ADDRESS: 'minio:9000',
              'minio.accessKeyID': required('MINIO_ACCESS_KEY'),
              'minio.secretAccessKey': required('MINIO_SECRET_KEY'),
              'common.security.authorizationEnabled': 'true',
              // Milvus creates `root` with this password on first start (upstream leaves the public default).
              'common.security.defaultRootPassword': required('MILVUS_PASSWORD'),
            },
            volumes: ['./volumes/milvus/milvus:/var/lib/milvus'],
            healthcheck: curlHealth('http://localhost:9091/healthz', '30s', '20s', 3, '90s'),
            depends_on: { etcd: { condition: 'service_healthy' }, minio: { condition: 'service_healthy' } },
            // On `default` too, so api and worker reach it without a published port.
            networks: ['milvus', 'default'],
          },
        },
        networks: { milvus: { driver: 'bridge', internal: true } },
      };
    case 'elasticsearch':
      return {
        env: {
          VECTOR_STORE: 'elasticsearch',
          ELASTICSEARCH_HOST: pick(bundled, 'elasticsearch', vs.host),
          ELASTICSEARCH_PORT: vs.port || 9200,
          ELASTICSEARCH_USERNAME: pick(bundled, 'elastic', vs.user),
          ELASTICSEARCH_PASSWORD: pick(bundled, secrets.ELASTICSEARCH_PASSWORD, vs.password),
        },
        services: {
          elasticsearch: {
            image: images.elasticsearch,
            restart: 'always',
            volumes: ['dify_es01_data:/usr/share/elasticsearch/data'],
            environment: {
              ELASTIC_PASSWORD: required('ELASTICSEARCH_PASSWORD'),
              'cluster.name': 'dify-es-cluster',
              'node.name': 'dify-es0',
              'discovery.type': 'single-node',
              'xpack.license.self_generated.type': 'basic',
              'xpack.security.enabled': 'true',
              'xpack.security.enrollment.enabled': 'false',
              'xpack.security.http.ssl.enabled': 'false',
            },
            healthcheck: { test: ['CMD', 'curl', '-s', 'http://localhost:9200/_cluster/health?pretty'], interval: '30s', timeout: '10s', retries: 50 },
          },
        },
        volumes: { dify_es01_data: {} },
      };
    case 'opensearch':
      return {
        env: {
          VECTOR_STORE: 'opensearch',
          OPENSEARCH_HOST: pick(bundled, 'opensearch', vs.host),
          OPENSEARCH_PORT: vs.port || 9200,
          OPENSEARCH_SECURE: 'true',
          // The bundled node serves its demo self-signed certificate on the private network.
          OPENSEARCH_VERIFY_CERTS: bundled ? 'false' : 'true',
          OPENSEARCH_AUTH_METHOD: 'basic',
          OPENSEARCH_USER: pick(bundled, 'admin', vs.user),
          OPENSEARCH_PASSWORD: pick(bundled, secrets.OPENSEARCH_PASSWORD, vs.password),
        },
        services: {
          opensearch: {
            image: images.opensearch,
            restart: 'always',
            environment: {
              'discovery.type': 'single-node',
              'bootstrap.memory_lock': 'true',
              OPENSEARCH_JAVA_OPTS: '-Xms512m -Xmx1024m',
              OPENSEARCH_INITIAL_ADMIN_PASSWORD: required('OPENSEARCH_PASSWORD'),
            },
            ulimits: { memlock: { soft: -1, hard: -1 }, nofile: { soft: 65536, hard: 65536 } },
            volumes: ['./volumes/opensearch/data:/usr/share/opensearch/data'],
          },
        },
      };
    case 'chroma':
      return {
        env: {
          VECTOR_STORE: 'chroma',
          CHROMA_HOST: pick(bundled, 'chroma', vs.host),
          CHROMA_PORT: vs.port || 8000,
          CHROMA_TENANT: 'default_tenant',
          CHROMA_DATABASE: vs.database || 'default_database',
          CHROMA_AUTH_PROVIDER: 'chromadb.auth.token_authn.TokenAuthClientProvider',
          CHROMA_AUTH_CREDENTIALS: pick(bundled, secrets.CHROMA_AUTH_CREDENTIALS, vs.password),
        },
        services: {
          chroma: {
            image: images.chroma,
            restart: 'always',
            volumes: ['./volumes/chroma:/chroma/chroma'],
            environment: {
              CHROMA_SERVER_AUTHN_CREDENTIALS: required('CHROMA_AUTH_CREDENTIALS'),
              CHROMA_SERVER_AUTHN_PROVIDER: 'chromadb.auth.token_authn.TokenAuthenticationServerProvider',
              IS_PERSISTENT: 'TRUE',
            },
          },
        },
      };
    case 'oceanbase':
      return {
        env: {
          VECTOR_STORE: 'oceanbase',
          OCEANBASE_VECTOR_HOST: pick(bundled, 'oceanbase', vs.host),
          OCEANBASE_VECTOR_PORT: vs.port || 2881,
          OCEANBASE_VECTOR_USER: pick(bundled, 'root@test', vs.user),
          OCEANBASE_VECTOR_PASSWORD: pick(bundled, secrets.OCEANBASE_VECTOR_PASSWORD, vs.password),
          OCEANBASE_VECTOR_DATABASE: vs.database || 'test',
          ...(bundled ? { OCEANBASE_CLUSTER_NAME: 'difyai', OCEANBASE_MEMORY_LIMIT: '6G' } : {}),
        },
        services: {
          oceanbase: {
            image: images.oceanbase,
            restart: 'always',
            volumes: ['./volumes/oceanbase/data:/root/ob', './volumes/oceanbase/conf:/root/.obd/cluster'],
            environment: {
              OB_MEMORY_LIMIT: required('OCEANBASE_MEMORY_LIMIT'),
              OB_SYS_PASSWORD: required('OCEANBASE_VECTOR_PASSWORD'),
              OB_TENANT_PASSWORD: required('OCEANBASE_VECTOR_PASSWORD'),
              OB_CLUSTER_NAME: required('OCEANBASE_CLUSTER_NAME'),
              OB_SERVER_IP: '127.0.0.1',
              MODE: 'mini',
              LANG: 'C.UTF-8',
              LC_ALL: 'C.UTF-8',
            },
            healthcheck: {
              test: ['CMD-SHELL', "obclient -h127.0.0.1 -P2881 -uroot@test -p$${OB_TENANT_PASSWORD} -e 'SELECT 1;'"],
              interval: '10s',
              retries: 30,
              start_period: '30s',
              timeout: '10s',
            },
          },
        },
      };
    case 'myscale':
      return {
        env: {
          VECTOR_STORE: 'myscale',
          MYSCALE_HOST: pick(bundled, 'myscale', vs.host),
          MYSCALE_PORT: vs.port || 8123,
          MYSCALE_USER: pick(bundled, 'dify', vs.user),
          MYSCALE_PASSWORD: pick(bundled, secrets.MYSCALE_PASSWORD, vs.password),
          MYSCALE_DATABASE: vs.database || 'dify',
        },
        services: {
          myscale: {
            image: images.myscale,
            restart: 'always',
            tty: true,
            // ClickHouse-based image: it creates this user from the environment on first start (inference).
            environment: { CLICKHOUSE_USER: required('MYSCALE_USER'), CLICKHOUSE_PASSWORD: required('MYSCALE_PASSWORD'), CLICKHOUSE_DB: required('MYSCALE_DATABASE') },
            volumes: ['./volumes/myscale/data:/var/lib/clickhouse', './volumes/myscale/log:/var/log/clickhouse-server'],
          },
        },
      };
    case 'tencent':
      return {
        env: {
          VECTOR_STORE: 'tencent',
          TENCENT_VECTOR_DB_URL: vs.url,
          TENCENT_VECTOR_DB_API_KEY: vs.apiKey,
          TENCENT_VECTOR_DB_USERNAME: vs.user,
          TENCENT_VECTOR_DB_DATABASE: vs.database || 'dify',
          TENCENT_VECTOR_DB_TIMEOUT: '30',
        },
      };
    case 'tablestore':
      return {
        env: {
          VECTOR_STORE: 'tablestore',
          TABLESTORE_ENDPOINT: vs.url,
          TABLESTORE_INSTANCE_NAME: vs.database,
          TABLESTORE_ACCESS_KEY_ID: vs.user,
          TABLESTORE_ACCESS_KEY_SECRET: vs.password,
        },
      };
    case 'analyticdb':
      return {
        env: {
          VECTOR_STORE: 'analyticdb',
          ANALYTICDB_HOST: vs.host,
          ANALYTICDB_PORT: vs.port || 5432,
          ANALYTICDB_ACCOUNT: vs.user,
          ANALYTICDB_PASSWORD: vs.password,
          ANALYTICDB_NAMESPACE: vs.database || 'dify',
          ANALYTICDB_MIN_CONNECTION: '1',
          ANALYTICDB_MAX_CONNECTION: '5',
        },
      };
  }
}
