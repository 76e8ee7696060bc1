import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/**
 * On a developer's first `npm start`, writes `.env` from `.env.example` with freshly generated
 * secrets, so no secret is ever tracked and nothing has to be filled in by hand.
 */
export function ensureEnvFile(path = '.env', examplePath = '.env.example'): boolean {
  if (existsSync(path)) return false;
  const template = existsSync(examplePath) ? readFileSync(examplePath, 'utf8') : '';
  const values: Record<string, string> = {
    JWT_SECRET: randomBytes(48).toString('base64url'),
    ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
  };
  let out = template;
  for (const [key, value] of Object.entries(values)) {
    const re = new RegExp(`^#?\\s*${key}=.*$`, 'm');
    out = re.test(out) ? out.replace(re, `${key}=${value}`) : `${out}\n${key}=${value}\n`;
  }
  writeFileSync(path, out, { mode: 0o600 });
  return true;
}
