import { AbortMultipartUploadCommand, CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Transform, type Readable } from 'node:stream';
import { digestOf } from './hashing.js';
import { ObjectNotFound, type ObjectStore, type StoredDigest } from './object-store.js';
import { bucketName, type ObjectStoreSpec } from './store-spec.js';

/** The s3 store's settings, as its spec names them (see store-spec.ts). */
export type S3Settings = Omit<Extract<ObjectStoreSpec, { driver: 's3' }>, 'driver'>;

const PART_BYTES = 16 * 1024 * 1024;

function missing(err: unknown): boolean {
  const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return status === 404 || (err instanceof S3ServiceException && ['NoSuchKey', 'NotFound', 'NoSuchBucket'].includes(err.name));
}

/**
 * An S3-compatible object store through the AWS SDK: a bucket per container (made on first
 * write), streams uploaded in parts so no object is ever held whole in memory or on disk.
 */
export class S3Store implements ObjectStore {
  private readonly client: S3Client;
  private readonly buckets = new Set<string>();

  constructor(private readonly settings: S3Settings) {
    this.client = new S3Client({
      endpoint: settings.endpoint,
      region: settings.region,
      forcePathStyle: settings.force_path_style,
      credentials: { accessKeyId: settings.access_key, secretAccessKey: settings.secret_key },
      // Checksums only where an operation requires them: the SDK's newer defaults send checksum headers some S3 servers refuse.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  bucket(container: string): string {
    return bucketName(this.settings.bucket_prefix, container);
  }

  private async ensureBucket(container: string): Promise<string> {
    const bucket = this.bucket(container);
    if (this.buckets.has(bucket)) return bucket;
    try {
      await this.client.send(new CreateBucketCommand({ Bucket: bucket }));
    } catch (err) {
      if (!(err instanceof S3ServiceException && ['BucketAlreadyOwnedByYou', 'BucketAlreadyExists'].includes(err.name))) throw err;
    }
    this.buckets.add(bucket);
    return bucket;
  }

  async put(container: string, key: string, data: Buffer): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: await this.ensureBucket(container), Key: key, Body: data }));
  }

  async get(container: string, key: string): Promise<Buffer | undefined> {
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket(container), Key: key }));
      return Buffer.from(await response.Body!.transformToByteArray());
    } catch (err) {
      if (missing(err)) return undefined;
      throw err;
    }
  }

  async putStream(container: string, key: string, source: Readable): Promise<number> {
    let bytes = 0;
    const counted = source.pipe(
      new Transform({
        highWaterMark: PART_BYTES,
        transform(chunk: Buffer, _encoding, done) {
          bytes += chunk.length;
          done(null, chunk);
        },
      }),
    );
    source.once('error', (err) => counted.destroy(err));
    // A failed upload aborts its multipart upload: no parts are left behind.
    const upload = new Upload({ client: this.client, params: { Bucket: await this.ensureBucket(container), Key: key, Body: counted }, partSize: PART_BYTES, queueSize: 4, leavePartsOnError: false });
    await upload.done();
    return bytes;
  }

  async getStream(container: string, key: string): Promise<Readable> {
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket(container), Key: key }));
      return response.Body as Readable;
    } catch (err) {
      if (missing(err)) throw new ObjectNotFound(`object ${container}/${key} does not exist`);
      throw err;
    }
  }

  async readBack(container: string, key: string): Promise<StoredDigest> {
    return digestOf((await this.getStream(container, key)) as AsyncIterable<Buffer>);
  }

  async size(container: string, key: string): Promise<number | undefined> {
    try {
      return (await this.client.send(new HeadObjectCommand({ Bucket: this.bucket(container), Key: key }))).ContentLength;
    } catch (err) {
      if (missing(err)) return undefined;
      throw err;
    }
  }

  async list(container: string, prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket(container), Prefix: prefix, ContinuationToken: token }));
        for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (err) {
      if (missing(err)) return [];
      throw err;
    }
    return keys.sort();
  }

  async delete(container: string, key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket(container), Key: key }));
    } catch (err) {
      if (!missing(err)) throw err;
    }
  }

  async deletePrefix(container: string, prefix: string): Promise<void> {
    for (const key of await this.list(container, prefix)) await this.delete(container, key);
    // Uploads a crashed writer left unfinished hold parts that no listing of objects shows.
    let uploads;
    try {
      uploads = await this.client.send(new ListMultipartUploadsCommand({ Bucket: this.bucket(container), Prefix: prefix }));
    } catch (err) {
      if (missing(err)) return;
      throw err;
    }
    for (const upload of uploads.Uploads ?? []) {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket(container), Key: upload.Key!, UploadId: upload.UploadId! })).catch((err: unknown) => {
        if (!missing(err)) throw err;
      });
    }
  }
}
