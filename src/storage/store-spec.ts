import { Type, type Static } from 'typebox';
import { LocalFolderStore } from './local-folder-store.js';
import type { ObjectStore } from './object-store.js';

/**
 * How to reach an object store: what the server's settings say, and what the control plane
 * hands an agent that writes or reads a backup. It can hold credentials: never log it.
 */
export const ObjectStoreSpec = Type.Union([
  Type.Object({ driver: Type.Literal('local'), path: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
]);
export type ObjectStoreSpec = Static<typeof ObjectStoreSpec>;

export function openObjectStore(spec: ObjectStoreSpec): ObjectStore {
  switch (spec.driver) {
    case 'local':
      return new LocalFolderStore(spec.path);
  }
}

/** Where an object is, in words a user may see: no credentials. */
export function describeLocation(spec: ObjectStoreSpec, container: string, key: string): string {
  switch (spec.driver) {
    case 'local':
      return `file://${spec.path}/${container}/${key}`;
  }
}
