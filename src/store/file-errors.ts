/**
 * File-system errors in words, each with its code kept for searching: one table for
 * the loader, the snapshot writer and `kv-server publish`, so that the same problem
 * reads the same wherever it happens.
 */
const FILE_ERROR_TEXT: Record<string, string> = {
  ENOENT: 'no such file (ENOENT)',
  EACCES: 'permission denied (EACCES)',
  EPERM: 'permission denied (EPERM)',
  EROFS: 'read-only file system (EROFS)',
  ENOSPC: 'no space left on the device (ENOSPC)',
  ENOTDIR: 'a part of the path is not a directory (ENOTDIR)',
  EISDIR: 'it is a directory (EISDIR)',
  EEXIST: 'it already exists (EEXIST)',
  ELOOP: 'too many symbolic links (ELOOP)',
};

/** `error` in words; `overrides` replace an entry where the context says more (a write's ENOENT is its directory). */
export function describeFileError(error: unknown, overrides: Record<string, string> = {}): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const text = code === undefined ? undefined : (overrides[code] ?? FILE_ERROR_TEXT[code]);
  if (text !== undefined) return text;
  return error instanceof Error ? error.message : String(error);
}

/** For `mkdir -p`, which meets EEXIST only where a part of the path is a file. */
export const MKDIR_ERROR_TEXT: Record<string, string> = {
  EEXIST: 'a file, not a directory, is in the way (EEXIST)',
};
