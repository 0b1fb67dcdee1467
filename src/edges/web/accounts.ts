/**
 * Web UI session endpoints (maas-api-spec.md §3.3): login/logout with a session cookie, the CSRF token
 * bound to the session, and python-libmaas's username/password → API key exchange.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServiceContext } from '../../services/context.ts';
import { checkPassword, endSession, findSession, startSession } from '../../services/identity/sessions.ts';
import { tokenForLogin } from '../../services/identity/tokens.ts';
import { userCount } from '../../services/identity/users.ts';
import { parseRequestBody } from '../maas/wire/body.ts';

const cookie = (name: string, value: string, maxAge: number, httpOnly: boolean) =>
  `${name}=${value}; Path=/MAAS/; Max-Age=${maxAge}; SameSite=Lax${httpOnly ? '; HttpOnly' : ''}`;

function form(req: FastifyRequest): Record<string, string> {
  const parsed = parseRequestBody(req.headers['content-type'], req.body as Buffer | undefined);
  const out: Record<string, string> = {};
  for (const [k, v] of parsed.fields) out[k] = v;
  if (parsed.json && typeof parsed.json === 'object') for (const [k, v] of Object.entries(parsed.json)) out[k] = String(v);
  return out;
}

export function registerAccountRoutes(app: FastifyInstance, svc: ServiceContext, cookies: (req: FastifyRequest) => Record<string, string>) {
  const current = async (req: FastifyRequest) => {
    const id = cookies(req).sessionid;
    return id ? findSession(svc, id) : undefined;
  };
  const requireCsrf = (req: FastifyRequest, reply: FastifyReply, token: string) => {
    if (req.headers['x-csrftoken'] !== token) {
      reply.code(403).type('text/plain; charset=utf-8').send('CSRF Failed: CSRF token missing or incorrect.');
      return false;
    }
    return true;
  };

  app.get('/MAAS/accounts/login/', async (req) => ({
    authenticated: (await current(req)) !== undefined, external_auth_url: null, no_users: (await userCount(svc)) === 0,
  }));

  app.post('/MAAS/accounts/login/', async (req, reply) => {
    if (await current(req)) return reply.code(204).send();
    const f = form(req);
    const errors: Record<string, string[]> = {};
    if (!f.username) errors.username = ['This field is required.'];
    if (!f.password) errors.password = ['This field is required.'];
    if (Object.keys(errors).length) return reply.code(400).send(errors);
    const user = await checkPassword(svc, f.username, f.password);
    if (!user) return reply.code(400).send({ __all__: ['Please enter a correct username and password. Note that both fields may be case-sensitive.'] });
    const s = await startSession(svc, user);
    const maxAge = Math.round((s.expires.getTime() - Date.now()) / 1000);
    svc.log.info({ user: user.username }, 'web login');
    return reply.code(204)
      .header('set-cookie', [cookie('sessionid', s.id, maxAge, true), cookie('csrftoken', s.csrf_token, maxAge, false)])
      .send();
  });

  app.post('/MAAS/accounts/logout/', async (req, reply) => {
    const s = await current(req);
    if (s) {
      if (!requireCsrf(req, reply, s.session.csrf_token)) return reply;
      await endSession(svc, s.session.id);
    }
    return reply.code(204).header('set-cookie', [cookie('sessionid', '', 0, true), cookie('csrftoken', '', 0, false)]).send();
  });

  app.post('/MAAS/account/csrf/', async (req, reply) => {
    const s = await current(req);
    if (!s) return reply.code(403).type('text/plain; charset=utf-8').send('Not logged in.');
    return { csrf: s.session.csrf_token };
  });

  app.post('/MAAS/accounts/authenticate/', async (req, reply) => {
    const f = form(req);
    const user = f.username && f.password ? await checkPassword(svc, f.username, f.password) : undefined;
    if (!user) return reply.code(403).type('text/plain; charset=utf-8').send('Invalid username or password.');
    const t = await tokenForLogin(svc, user.id, f.consumer);
    return { consumer_key: t.consumer_key, name: t.name, token_key: t.token_key, token_secret: t.token_secret };
  });
}
