import { LocalFolderStore } from './local-folder-store.js';
import type { ObjectStore } from './object-store.js';
import type { ObjectStoreSpec } from './store-spec.js';

/**
 * Opens a store; the S3 driver (and its SDK) is loaded only by those who use it. Apart from the
 * spec's schema, so that a backup's worker thread starts without loading the schema library.
 */
export async function openObjectStore(spec: ObjectStoreSpec): Promise<ObjectStore> {
  switch (spec.driver) {
    case 'local':
      return new LocalFolderStore(spec.path);
    case 's3': {
      const { S3Store } = await import('./s3-store.js');
      return new S3Store(spec);
    }
  }
}
