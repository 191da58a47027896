/** Where published logs (and, later, backups) go: containers of named objects. */
export interface ObjectStore {
  put(container: string, key: string, data: Buffer): Promise<void>;
  get(container: string, key: string): Promise<Buffer | undefined>;
  list(container: string, prefix: string): Promise<string[]>;
  delete(container: string, key: string): Promise<void>;
}
