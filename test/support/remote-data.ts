import { createHash } from 'node:crypto';

/** Two versions of a small dataset for the remote-source tests, and the checksum a manifest names. */
export const V1 = 'colour blue\nshape round\n';
export const V2 = 'colour green\nshape square\n';
export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
