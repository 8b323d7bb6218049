import { describe, expect, it } from 'vitest';
import { AdminApi, AdminApiError, describeDetail, errorMessage } from '../src/lib/admin-api';

interface Sent {
  url: string;
  method: string;
  auth: string | null;
  contentType: string | null;
  body: unknown;
}

/** An AdminApi on a fake fetch that answers `reply` and remembers what was sent. */
function setup(reply: (url: string) => Response) {
  const sent: Sent[] = [];
  const fakeFetch = async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    const url = String(input);
    sent.push({
      url,
      method: init.method ?? 'GET',
      auth: headers.get('Authorization'),
      contentType: headers.get('Content-Type'),
      body: init.body ? JSON.parse(String(init.body)) : undefined,
    });
    return reply(url);
  };
  const api = new AdminApi('secret', { base: 'http://backend.test/app/', fetch: fakeFetch as typeof fetch });
  return { api, sent };
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

describe('AdminApi', () => {
  it('sends the admin token as a bearer header, relative to the page base', async () => {
    const { api, sent } = setup(() => json({ models: [{ name: 'yoga', aliases: {}, versions: [] }] }));
    const models = await api.models();
    expect(models.map((m) => m.name)).toEqual(['yoga']);
    expect(sent[0]).toMatchObject({ url: 'http://backend.test/app/v1/admin/models', auth: 'Bearer secret' });
  });

  it('posts a training request as JSON and returns the job it queued', async () => {
    const { api, sent } = setup(() => json({ job_id: 'train-yoga-1', created: true, kind: 'train', frames: {} }, 202));
    const started = await api.startJob('train', 'yoga', { promote: 'never', overrides: { 'training.epochs': 3 } });
    expect(started.job_id).toBe('train-yoga-1');
    expect(sent[0]).toMatchObject({
      url: 'http://backend.test/app/v1/admin/models/yoga/train',
      method: 'POST',
      contentType: 'application/json',
      body: { promote: 'never', overrides: { 'training.epochs': 3 } },
    });
  });

  it("turns a 400 into an error carrying the server's reason", async () => {
    const { api } = setup(() => json({ detail: "unknown label(s) ['levitate']" }, 400));
    const failure = await api.startJob('tune', 'yoga', {}).catch((e) => e);
    expect(failure).toBeInstanceOf(AdminApiError);
    expect(failure.status).toBe(400);
    expect(failure.message).toBe("400 unknown label(s) ['levitate']");
  });

  it('says plainly when the token is refused', async () => {
    const { api } = setup(() => json({ detail: 'bad admin token' }, 401));
    const failure = await api.configs().catch((e) => e);
    expect(failure.unauthorized).toBe(true);
    expect(errorMessage(failure)).toMatch(/admin token was refused.*enter the admin token/);
  });

  it('answers a refused promotion (409) with its reason rather than throwing', async () => {
    const reason = "accuracy 0.61 does not beat production's 0.93";
    const { api, sent } = setup(() => json({ promoted: false, reason, production: 1 }, 409));
    const answer = await api.promote('yoga', 2);
    expect(answer).toMatchObject({ promoted: false, reason });
    expect(sent[0].body).toEqual({ version: 2, force: false });
  });

  it('rolls back to the previous version unless told which', async () => {
    const { api, sent } = setup(() => json({ production: 1, previous: 2 }));
    await api.rollback('yoga');
    await api.rollback('yoga', 3);
    expect(sent.map((s) => s.body)).toEqual([{}, { to_version: 3 }]);
  });

  it('lists the jobs of one model and escapes path parts', async () => {
    const { api, sent } = setup(() => json({ jobs: [] }));
    await api.jobs('yoga', 5);
    expect(sent[0].url).toBe('http://backend.test/app/v1/admin/jobs?limit=5&model=yoga');
    await api.job('train yoga/1').catch(() => null);
    expect(sent[1].url).toBe('http://backend.test/app/v1/admin/jobs/train%20yoga%2F1');
  });

  it('fetches a plot with the token and hands back an object URL', async () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47]);
    const { api, sent } = setup(() => new Response(png, { headers: { 'Content-Type': 'image/png' } }));
    const url = await api.plotObjectUrl('yoga', 1, 'confusion.png');
    expect(url).toMatch(/^blob:/);
    expect(sent[0]).toMatchObject({
      url: 'http://backend.test/app/v1/admin/models/yoga/versions/1/confusion.png',
      auth: 'Bearer secret',
    });
    URL.revokeObjectURL(url);
  });

  it('pages through a model history with the previous page\'s next as before', async () => {
    const event = { id: 7, version: 1, event: 'published', alias: null, actor: null, detail: null, created_at: '' };
    const { api, sent } = setup((url) => json({ events: [event], next: url.includes('before') ? null : 7 }));
    const first = await api.eventPage('yoga pose', 1);
    expect(first.next).toBe(7);
    const older = await api.eventPage('yoga pose', 1, first.next);
    expect(older).toEqual({ events: [event], next: null });
    expect(sent.map((s) => s.url)).toEqual([
      'http://backend.test/app/v1/admin/models/yoga%20pose/events?limit=1',
      'http://backend.test/app/v1/admin/models/yoga%20pose/events?limit=1&before=7',
    ]);
  });

  it('keeps the status text when the error body is not JSON', async () => {
    const { api } = setup(() => new Response('oops', { status: 502, statusText: 'Bad Gateway' }));
    await expect(api.events('yoga')).rejects.toThrow('502 Bad Gateway');
  });
});

describe('describeDetail', () => {
  it("joins pydantic's problems with where each is", () => {
    const body = {
      detail: [
        { loc: ['body', 'version'], msg: 'Input should be greater than or equal to 1' },
        { loc: ['body', 'force'], msg: 'Input should be a valid boolean' },
      ],
    };
    expect(describeDetail(body)).toBe(
      'version: Input should be greater than or equal to 1; force: Input should be a valid boolean',
    );
    expect(describeDetail({ reason: 'no detail' })).toBeNull();
  });
});
