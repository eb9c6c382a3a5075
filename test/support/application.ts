import { generateKeyPairSync, randomUUID } from 'node:crypto';
import type { Application } from '../../src/domain/index.js';

/** A fresh application with its own RSA key pair, and the private key that signs its tokens. */
export function applicationWithKeys(): { application: Application; privateKeyPem: string } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });

  return {
    application: {
      id: randomUUID(),
      name: `app-${randomUUID().slice(0, 6)}`,
      publicKeyPem: publicKey,
      signatureSecret: 's3cret',
      rtcEventUrl: null,
      rtcEventMethod: 'POST',
    },
    privateKeyPem: privateKey,
  };
}
