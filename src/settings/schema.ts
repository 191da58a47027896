import { Type, type Static } from 'typebox';

/**
 * Every setting Trove reads, with its default. The config file (TOML) mirrors this shape;
 * unknown keys are refused so a typo never silently falls back to a default.
 */
const Int = (min: number, max: number, dflt: number) => Type.Integer({ minimum: min, maximum: max, default: dflt });

const ServerSettings = Type.Object(
  {
    host: Type.String({ default: '127.0.0.1', minLength: 1 }),
    port: Int(0, 65535, 8779),
    /** Base URL put in links and the identity catalog; empty means "from the request's Host". */
    public_url: Type.String({ default: '' }),
    region: Type.String({ default: 'RegionOne', minLength: 1 }),
    body_limit_bytes: Int(1024, 64 * 1024 * 1024, 1024 * 1024),
  },
  { additionalProperties: false, default: {} },
);

const DatabaseSettings = Type.Object(
  {
    /** Empty: a SQLite file under data_dir. Otherwise postgres://… or sqlite:/path/file.db */
    url: Type.String({ default: '' }),
  },
  { additionalProperties: false, default: {} },
);

const LogSettings = Type.Object(
  {
    level: Type.Union(
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
      { default: 'info' },
    ),
  },
  { additionalProperties: false, default: {} },
);

const IdentitySettings = Type.Object(
  {
    token_ttl_seconds: Int(60, 7 * 24 * 3600, 3600),
    /** Wrong passwords for one user within the window before its logins get 429; 0: no limit. */
    login_failures_per_user: Int(0, 1_000_000, 5),
    /** Wrong passwords from one address within the window before its logins get 429; 0: no limit. */
    login_failures_per_source: Int(0, 1_000_000, 20),
    login_failure_window_seconds: Int(1, 7 * 24 * 3600, 900),
  },
  { additionalProperties: false, default: {} },
);

/** Default per-project quotas; -1 means unlimited, as in Trove. */
export const QuotaSettings = Type.Object(
  {
    instances: Int(-1, 1_000_000, 10),
    ram: Int(-1, 1_000_000_000, -1),
    volumes: Int(-1, 1_000_000_000, 40),
    backups: Int(-1, 1_000_000, 50),
  },
  { additionalProperties: false, default: {} },
);

/** Requests per minute per user and HTTP verb; 0 turns that verb's limit off. */
export const RateLimitSettings = Type.Object(
  {
    GET: Int(0, 1_000_000, 1000),
    POST: Int(0, 1_000_000, 200),
    PUT: Int(0, 1_000_000, 200),
    PATCH: Int(0, 1_000_000, 200),
    DELETE: Int(0, 1_000_000, 200),
  },
  { additionalProperties: false, default: {} },
);

const ExtraVersion = Type.Object(
  {
    datastore: Type.String({ minLength: 1 }),
    version: Type.String({ minLength: 1 }),
    active: Type.Boolean({ default: true }),
    image: Type.String({ default: '' }),
  },
  { additionalProperties: false },
);

export const CatalogSettings = Type.Object(
  {
    /** Datastore names not to offer even when their engine is installed. */
    disabled: Type.Array(Type.String(), { default: [] }),
    /** Versions offered beyond the installed ones (e.g. images for a remote compute driver). */
    versions: Type.Array(ExtraVersion, { default: [] }),
    /** The datastore of an instance whose request names none (Trove's default_datastore). */
    default_datastore: Type.String({ default: 'mysql', minLength: 1 }),
  },
  { additionalProperties: false, default: {} },
);

const ComputeSettings = Type.Object(
  {
    driver: Type.Literal('local', { default: 'local' }),
    /** Loopback addresses given to instances, one each. */
    address_pool: Type.String({ default: '127.0.10.0/24' }),
    /**
     * Where the servers of this host record which of them holds each address, so two servers
     * never hand out one address. Empty: /run/trove/address-claims (as root).
     */
    address_claims_dir: Type.String({ default: '' }),
    /** Loop-mounted ext4 volumes when running as root with loop devices; false: plain folders. */
    loop_volumes: Type.Boolean({ default: true }),
    /**
     * Where public instances (access.is_public) are published: one address, each instance on a
     * port of its own from public_ports, or an IPv4 block (a.b.c.d/n), each instance on an
     * address of its own at its engine's port. Empty: the address `trove serve` listens on,
     * unless that is a loopback or wildcard address (then instances cannot be made public).
     */
    public_address: Type.String({ default: '' }),
    public_ports: Type.String({ default: '47000-47999', pattern: '^[0-9]{1,5}-[0-9]{1,5}$' }),
    max_volume_gb: Int(1, 100_000, 100),
  },
  { additionalProperties: false, default: {} },
);

export const TaskSettings = Type.Object(
  {
    poll_ms: Int(10, 60_000, 200),
    lease_seconds: Int(5, 3600, 30),
    max_concurrent: Int(1, 1000, 8),
    build_timeout_seconds: Int(10, 86_400, 600),
    delete_timeout_seconds: Int(10, 86_400, 300),
    /** How often idle instances' agents are asked for their state. */
    reconcile_seconds: Int(1, 3600, 3),
  },
  { additionalProperties: false, default: {} },
);

const ConfigurationGroupSettings = Type.Object(
  {
    /**
     * Refuse a configuration whenever every connection using every per-connection buffer could
     * exceed the flavor's RAM; by default that is a warning, and only fixed buffers that alone
     * exceed it are refused.
     */
    strict_memory_budget: Type.Boolean({ default: false }),
  },
  { additionalProperties: false, default: {} },
);

const ReplicationSettings = Type.Object(
  {
    /** A source with automatic failover on is ejected once it has been down (or silent) this long. */
    failover_after_seconds: Int(3, 3600, 30),
  },
  { additionalProperties: false, default: {} },
);

const ClusterSettings = Type.Object(
  {
    /**
     * A cluster none of whose members has served for this long, while every member's agent
     * answers, is started again from the member whose data goes furthest.
     */
    restart_after_seconds: Int(3, 3600, 30),
  },
  { additionalProperties: false, default: {} },
);

const MetricsSettings = Type.Object(
  {
    /**
     * host:port where `trove serve` answers Prometheus' scrapes (GET /metrics), apart from the API
     * and without its tokens: keep it on an address only the monitoring reaches. Empty: no metrics.
     */
    listen_address: Type.String({ default: '', pattern: '^$|^[^\\s:]+:[0-9]{1,5}$|^\\[[0-9a-fA-F:]+\\]:[0-9]{1,5}$' }),
  },
  { additionalProperties: false, default: {} },
);

export const Settings = Type.Object(
  {
    data_dir: Type.String({ default: './data', minLength: 1 }),
    server: ServerSettings,
    database: DatabaseSettings,
    log: LogSettings,
    identity: IdentitySettings,
    quotas: QuotaSettings,
    rate_limits: RateLimitSettings,
    catalog: CatalogSettings,
    compute: ComputeSettings,
    tasks: TaskSettings,
    replication: ReplicationSettings,
    clusters: ClusterSettings,
    metrics: MetricsSettings,
    configuration: ConfigurationGroupSettings,
    object_store: Type.Object(
      {
        /** local: a folder on this host; s3: an S3-compatible server. */
        driver: Type.Union([Type.Literal('local'), Type.Literal('s3')], { default: 'local' }),
        /** Folder of the local object store; empty: <data_dir>/objects. */
        path: Type.String({ default: '' }),
        /** The S3 server's URL, e.g. http://127.0.0.1:8080. */
        endpoint: Type.String({ default: '' }),
        region: Type.String({ default: 'us-east-1', minLength: 1 }),
        /** TROVE_S3_ACCESS_KEY and TROVE_S3_SECRET_KEY keep them out of the file. */
        access_key: Type.String({ default: '' }),
        secret_key: Type.String({ default: '' }),
        force_path_style: Type.Boolean({ default: true }),
        /** Put before each container's name to make its bucket's. */
        bucket_prefix: Type.String({ default: '', pattern: '^[a-z0-9.-]{0,20}$' }),
      },
      { additionalProperties: false, default: {} },
    ),
    backups: Type.Object(
      {
        /** Where backups go unless a backup strategy or the request names another container. */
        container: Type.String({ default: 'database_backups', pattern: '^[a-z0-9][a-z0-9._-]{2,62}$' }),
        /** The AES-256 key backups are encrypted with (base64, made on first use); empty: <data_dir>/backup.key. */
        encryption_key_file: Type.String({ default: '' }),
        /** Keys of earlier backups, after a key rotation: restores find theirs by id. */
        previous_key_files: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
        /** A backup still running after this long fails. */
        timeout_seconds: Int(10, 7 * 86_400, 6 * 3600),
      },
      { additionalProperties: false, default: {} },
    ),
    /** Key that seals secrets kept in the store; empty: <data_dir>/secret.key. */
    secret_key_file: Type.String({ default: '' }),
  },
  { additionalProperties: false },
);

export type Settings = Static<typeof Settings>;
export type QuotaSettings = Static<typeof QuotaSettings>;
export type RateLimitSettings = Static<typeof RateLimitSettings>;
export type CatalogSettings = Static<typeof CatalogSettings>;
export type TaskSettings = Static<typeof TaskSettings>;
