import { Type, type Static } from 'typebox';

/**
 * How to reach an object store: what the server's settings say, and what the control plane
 * hands an agent that writes or reads a backup. It can hold credentials: never log it.
 */
export const ObjectStoreSpec = Type.Union([
  Type.Object({ driver: Type.Literal('local'), path: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
  Type.Object(
    {
      driver: Type.Literal('s3'),
      endpoint: Type.String({ minLength: 1 }),
      region: Type.String({ minLength: 1 }),
      access_key: Type.String({ minLength: 1 }),
      secret_key: Type.String({ minLength: 1 }),
      force_path_style: Type.Boolean(),
      bucket_prefix: Type.String(),
    },
    { additionalProperties: false },
  ),
]);
export type ObjectStoreSpec = Static<typeof ObjectStoreSpec>;

/** A container's S3 bucket. S3 bucket names have no underscores: they become dashes. */
export function bucketName(prefix: string, container: string): string {
  return `${prefix}${container}`.replace(/_/g, '-');
}

/** The folder store's own URL form: container and key, never the folder the server keeps it in. */
export const localLocation = (container: string, key: string): string => `local://${container}/${key}`;

/** Where an object is, in words a user may see: no credentials, no path of the server's. */
export function describeLocation(spec: ObjectStoreSpec, container: string, key: string): string {
  switch (spec.driver) {
    case 'local':
      return localLocation(container, key);
    case 's3':
      return `${spec.endpoint.replace(/\/+$/, '')}/${bucketName(spec.bucket_prefix, container)}/${key}`;
  }
}
