// A real OpenID Connect provider for the tests: oidc-provider (a certified implementation) on loopback.
//
// Configured by environment variables:
//   OIDC_PROVIDER_PORT      port to listen on (127.0.0.1)
//   OIDC_PROVIDER_MODULES   the node_modules folder that holds oidc-provider (.oidc-provider/node_modules)
//   OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_REDIRECT_URIS (space-separated): the one confidential client
//   OIDC_SIGNING_KEY_ID     optional: sign with a new RSA key of this id (else the provider's development keys)
//   OIDC_CLAIMS_IN_ID_TOKEN optional, "1": put email and name into the ID token as well, as Keycloak does
//
// Sign-in goes through the development interactions: the login form takes any account id, which is the
// person's email address, verified; an account id that starts with "unverified-" has the rest as its email
// address, not verified. Email and name are given in the userinfo response (the provider's default), and
// in the ID token too with OIDC_CLAIMS_IN_ID_TOKEN.
import { generateKeyPairSync } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const required = (name) => {
  const value = process.env[name];
  if (!value) {
    console.error(`${name} is not set`);
    process.exit(2);
  }
  return value;
};

const port = Number(required('OIDC_PROVIDER_PORT'));
const modules = required('OIDC_PROVIDER_MODULES');
// The package lives outside this folder, where an ES module import would not look for it.
const entry = createRequire(join(modules, 'resolve-from-here.js')).resolve('oidc-provider');
const { default: Provider } = await import(pathToFileURL(entry).href);

const UNVERIFIED = 'unverified-';

const configuration = {
  clients: [{
    client_id: required('OIDC_CLIENT_ID'),
    client_secret: required('OIDC_CLIENT_SECRET'),
    redirect_uris: required('OIDC_REDIRECT_URIS').split(' '),
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
  },
  async findAccount(ctx, id) {
    const unverified = id.startsWith(UNVERIFIED);
    const email = unverified ? id.slice(UNVERIFIED.length) : id;
    return {
      accountId: id,
      async claims() {
        return { sub: id, email, email_verified: !unverified, name: `Staff ${email.split('@')[0]}` };
      },
    };
  },
  features: { devInteractions: { enabled: true } },
  pkce: { required: () => true },
  cookies: { keys: ['test cookies are signed with this key, which guards nothing'] },
  conformIdTokenClaims: process.env.OIDC_CLAIMS_IN_ID_TOKEN !== '1',
};

if (process.env.OIDC_SIGNING_KEY_ID) {
  // A fresh key on every start: a provider started again with another key id has rotated its keys.
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const key = { ...privateKey.export({ format: 'jwk' }), kid: process.env.OIDC_SIGNING_KEY_ID, use: 'sig', alg: 'RS256' };
  configuration.jwks = { keys: [key] };
}

const provider = new Provider(`http://127.0.0.1:${port}`, configuration);
const server = provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on http://127.0.0.1:${port}`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
