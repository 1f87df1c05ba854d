// The dataset store's public API (see docs/store.md).
export { kindSchema } from './arrow-schema';
export { canonicalJson, contentKey, type KeySpec, sha256File } from './canonical';
export { listEntries, listUnreferenced, lookup, openEntry, type StoreEntry, verify } from './catalog';
export { rowsToBatch, tableToColumns, tableToRows } from './columns';
export { parquetSource, queryStore } from './duck';
export { StoreUnavailable, storeError } from './errors';
export { markStoreRoot, refUri, resolveUri, STORE_MARKER, STORE_SCHEME, storeUri } from './locate';
export { entryDir, filesDigest, partName, readManifest, storeRoot } from './manifest';
export {
  listParts,
  type PartInfo,
  readColumns,
  readDataset,
  readPart,
  readRows,
  streamDataset,
  streamRows,
} from './reader';
export { type SealSpec, sealEntry } from './seal';
export { DatasetWriter, openWriter, type WriterSpec, writeDataset } from './writer';
