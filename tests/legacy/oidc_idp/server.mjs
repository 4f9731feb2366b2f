// The legacy OpenID provider that authshift's token-exchange tests run against (issue 8).
//
//   node server.mjs CONFIG.json
//
// CONFIG.json (written by tests/legacy/oidc_idp.py):
//   port, issuer                      where to listen, and the issuer URL it announces
//   jwks_path                         {"keys": [private JWKs]}: the first RS256 key signs
//   accounts_path                     [{sub, password, email, email_verified, name, given_name,
//                                      family_name, phone_number}, ...], re-read when it changes
//   clients                           [{client_id, client_secret, redirect_uris, access_token_ttl}]
//                                     relying parties that sign users in (authorization code + PKCE)
//   introspection_clients             [{client_id, client_secret}] resource servers allowed to
//                                     introspect (RFC 7662) any token
//   resources                         {"<resource indicator>": {"format": "jwt"|"opaque", "scope": "..."}}
//   access_token_ttl                  seconds, for clients without their own
//   access_token_claims               account claims copied into access tokens (and introspection)
//   store_path                        JSON-lines file keeping sessions, grants and tokens across restarts
//   cookie_keys                       keys signing the provider's cookies
//
// Users sign in for real: /interaction/:uid shows a login form that checks the account's password.
// Consent is implied for the configured clients (they are first-party apps of the legacy system).

import { appendFileSync, existsSync, readFileSync, statSync } from 'node:fs';
import { createHash, timingSafeEqual } from 'node:crypto';

import Provider, { errors } from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2] ?? process.env.LEGACY_IDP_CONFIG, 'utf8'));
const jwks = JSON.parse(readFileSync(config.jwks_path, 'utf8'));
const clientTTL = new Map(config.clients.map((client) => [client.client_id, client.access_token_ttl]));
const introspectors = new Set(config.introspection_clients.map((client) => client.client_id));

// ---------------------------------------------------------------------------------------------
// Storage: oidc-provider's adapter interface over a Map, replayed from a JSON-lines journal so a
// restart (key rotation, simulated outage) keeps sessions, grants and opaque tokens.
const store = new Map(); // "Model:id" -> { payload, expiresAt }
const lookups = new Map(); // "Model:uid:<uid>" and "Model:userCode:<code>" -> "Model:id"
const grantable = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode',
  'BackchannelAuthenticationRequest']);

function lookupKeys(key, payload) {
  const model = key.slice(0, key.indexOf(':'));
  return ['uid', 'userCode'].filter((field) => payload?.[field])
    .map((field) => `${model}:${field}:${payload[field]}`);
}

function applyEntry(entry) {
  for (const lookup of lookupKeys(entry.key, store.get(entry.key)?.payload)) lookups.delete(lookup);
  if (entry.op === 'set') {
    store.set(entry.key, { payload: entry.payload, expiresAt: entry.expiresAt });
    for (const lookup of lookupKeys(entry.key, entry.payload)) lookups.set(lookup, entry.key);
  } else {
    store.delete(entry.key);
  }
}

if (existsSync(config.store_path)) {
  for (const line of readFileSync(config.store_path, 'utf8').split('\n')) {
    if (line) applyEntry(JSON.parse(line));
  }
}

function journal(entry) {
  applyEntry(entry);
  appendFileSync(config.store_path, `${JSON.stringify(entry)}\n`);
}

function live(key) {
  const entry = store.get(key);
  if (!entry) return undefined;
  if (entry.expiresAt !== null && entry.expiresAt <= Date.now()) {
    journal({ op: 'del', key });
    return undefined;
  }
  return entry.payload;
}

class JournalAdapter {
  constructor(model) {
    this.model = model;
  }

  key(id) {
    return `${this.model}:${id}`;
  }

  async upsert(id, payload, expiresIn) {
    const expiresAt = typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : null;
    journal({ op: 'set', key: this.key(id), payload, expiresAt });
  }

  async find(id) {
    return live(this.key(id));
  }

  findBy(field, value) {
    const key = lookups.get(`${this.model}:${field}:${value}`);
    return key === undefined ? undefined : live(key);
  }

  async findByUid(uid) {
    return this.findBy('uid', uid);
  }

  async findByUserCode(userCode) {
    return this.findBy('userCode', userCode);
  }

  async consume(id) {
    const key = this.key(id);
    const entry = store.get(key);
    if (entry) {
      journal({ op: 'set', key, payload: { ...entry.payload, consumed: Math.floor(Date.now() / 1000) },
        expiresAt: entry.expiresAt });
    }
  }

  async destroy(id) {
    journal({ op: 'del', key: this.key(id) });
  }

  async revokeByGrantId(grantId) {
    for (const [key, entry] of [...store.entries()]) {
      const model = key.slice(0, key.indexOf(':'));
      if (grantable.has(model) && entry.payload.grantId === grantId) journal({ op: 'del', key });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Accounts and their passwords, re-read whenever the accounts file changes (tests add accounts).
let accountsVersion;
let accounts = [];
let accountsBySub = new Map();

function currentAccounts() {
  const { mtimeMs, size } = statSync(config.accounts_path);
  if (accountsVersion !== `${mtimeMs}:${size}`) {
    accounts = JSON.parse(readFileSync(config.accounts_path, 'utf8'));
    accountsBySub = new Map(accounts.map((account) => [account.sub, account]));
    accountsVersion = `${mtimeMs}:${size}`;
  }
  return accountsBySub;
}

function sha256(text) {
  return createHash('sha256').update(text, 'utf8').digest();
}

function findByLogin(login) {
  const wanted = login.trim().toLowerCase();
  return currentAccounts().get(login.trim())
    ?? accounts.find((account) => account.email?.toLowerCase() === wanted);
}

function passwordMatches(account, password) {
  // Equal-length digests: timingSafeEqual neither throws nor leaks the password's length.
  return timingSafeEqual(sha256(account?.password ?? '\0unknown'), sha256(password)) && Boolean(account);
}

const CLAIMS = ['email', 'email_verified', 'name', 'given_name', 'family_name', 'phone_number',
  'phone_number_verified'];

function publicClaims(account) {
  return Object.fromEntries(CLAIMS.filter((claim) => account[claim] !== undefined)
    .map((claim) => [claim, account[claim]]));
}

// ---------------------------------------------------------------------------------------------
const provider = new Provider(config.issuer, {
  adapter: JournalAdapter,
  jwks,
  cookies: { keys: config.cookie_keys },
  clients: [
    ...config.clients.map((client) => ({
      client_id: client.client_id,
      client_secret: client.client_secret,
      redirect_uris: client.redirect_uris,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    })),
    ...config.introspection_clients.map((client) => ({
      client_id: client.client_id,
      client_secret: client.client_secret,
      redirect_uris: [],
      grant_types: [],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
    })),
  ],
  scopes: ['openid', 'offline_access', 'email', 'profile', 'phone'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name'],
    phone: ['phone_number', 'phone_number_verified'],
  },
  async findAccount(ctx, sub) {
    const account = currentAccounts().get(sub);
    if (!account) return undefined;
    return { accountId: sub, async claims() { return { sub, ...publicClaims(account) }; } };
  },
  async extraTokenClaims(ctx, token) {
    if (token.kind !== 'AccessToken' || !token.accountId) return undefined;
    const claims = publicClaims(currentAccounts().get(token.accountId) ?? {});
    return Object.fromEntries(config.access_token_claims.filter((claim) => claim in claims)
      .map((claim) => [claim, claims[claim]]));
  },
  ttl: {
    AccessToken: (ctx, token, client) => clientTTL.get(client?.clientId) ?? config.access_token_ttl,
    AuthorizationCode: 60,
    IdToken: 3600,
    Interaction: 600,
    Session: 86400,
    Grant: 86400,
    RefreshToken: 86400,
  },
  features: {
    devInteractions: { enabled: false },
    introspection: {
      enabled: true,
      allowedPolicy: async (ctx, client) => introspectors.has(client.clientId),
    },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async (ctx, client, oneOf) => oneOf,
      useGrantedResource: async () => true,
      getResourceServerInfo: async (ctx, resourceIndicator) => {
        const resource = config.resources[resourceIndicator];
        if (!resource) throw new errors.InvalidTarget();
        const info = { scope: resource.scope, audience: resourceIndicator, accessTokenFormat: resource.format };
        if (resource.format === 'jwt') info.jwt = { sign: { alg: 'RS256' } };
        return info;
      },
    },
  },
  clientBasedCORS: () => false,
  interactions: { url: async (ctx, interaction) => `/interaction/${interaction.uid}` },
});

provider.on('server_error', (ctx, error) => console.error('server_error', error));

// ---------------------------------------------------------------------------------------------
// Interactions: a login form that checks the password, and implied consent.
function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function loginPage(uid, message) {
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Legacy sign-in</title></head><body>
<h1>Sign in to the legacy app</h1>${message ? `<p class="error">${escapeHtml(message)}</p>` : ''}
<form method="post" action="/interaction/${escapeHtml(uid)}/login" autocomplete="off">
<label>Email or user id <input name="login" required></label>
<label>Password <input name="password" type="password" required></label>
<button type="submit">Sign in</button></form></body></html>`;
}

async function readForm(ctx) {
  const chunks = [];
  for await (const chunk of ctx.req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

async function grantConsent(details) {
  const { prompt: { details: missing }, params, session } = details;
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  return grant.save();
}

provider.use(async (ctx, next) => {
  const match = /^\/interaction\/([\w-]+)(\/login)?$/.exec(ctx.path);
  if (!match) return next();
  const [, uid, isLogin] = match;
  ctx.set('cache-control', 'no-store');
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (details.uid !== uid) throw new errors.InvalidRequest('interaction mismatch');

  let result;
  if (ctx.method === 'GET' && details.prompt.name === 'login') {
    ctx.type = 'html';
    ctx.body = loginPage(uid);
    return undefined;
  }
  if (ctx.method === 'POST' && isLogin && details.prompt.name === 'login') {
    const form = await readForm(ctx);
    const account = findByLogin(form.get('login') ?? '');
    if (!passwordMatches(account, form.get('password') ?? '')) {
      ctx.status = 401;
      ctx.type = 'html';
      ctx.body = loginPage(uid, 'Invalid email or password.');
      return undefined;
    }
    result = { login: { accountId: account.sub } };
  } else if (ctx.method === 'GET' && details.prompt.name === 'consent') {
    result = { consent: { grantId: await grantConsent(details) } };
  } else {
    throw new errors.InvalidRequest('unexpected interaction step');
  }
  const returnTo = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: true });
  ctx.status = 303;
  ctx.redirect(returnTo);
  return undefined;
});

provider.listen(config.port, '127.0.0.1', () => {
  console.log(`legacy IdP ${config.issuer} listening (signing kid ${jwks.keys[0].kid})`);
});
