import { createHash } from 'node:crypto';

/** The dataset and access file the client-roles tests share: three clients, each with its own prefixes and operations. */
export const DATA = [
  'billing/invoice-1001 paid',
  'billing/invoice-1002 open',
  'hr/employee-7 Ada',
  'hr/employee-8 Grace',
  'shared/holidays 2026-12-25',
  'billing-archive/2019 old',
  ...Array.from({ length: 12 }, (_, i) => `hr/x${i} ${i}`),
].join('\n');
export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
export const BILLING_KEY = 'billing-key-6c1f';
export const HR_KEY = 'hr-key-0b9e';
export const OPS_KEY = 'ops-key-73aa';
export const ADMIN_TOKEN = 'admin-token-2d8c';
export const RULES = `clients:
  - id: billing
    keySha256: ${sha256(BILLING_KEY)}
    prefixes: ["billing/", "shared/", "billing/invoice-"]
  - id: hr
    keySha256: ${sha256(HR_KEY)}
    prefixes: ["hr/", "shared/"]
    operations: [lookup, list]
  - id: ops
    keySha256: ${sha256(OPS_KEY)}
    prefixes: [""]
    operations: [reload]
`;
export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
