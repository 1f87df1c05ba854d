// A local stand-in for the Hugging Face Hub (unreachable here) that answers exactly the calls
// @huggingface/hub 2.17 makes for listFiles, downloadFile and uploadFiles (LFS "basic" transfer),
// with the Hub's request and response shapes:
//   GET  /api/{models|datasets}/{repo}/tree/{rev}[/{path}]?recursive&expand   paginated by Link
//   GET  /[datasets/]{repo}/resolve/{rev}/{path}      Range, ETag, X-Repo-Commit, X-Error-Code
//   POST /api/{type}s/{repo}/preupload/{branch}       -> {files:[{path, uploadMode}]}
//   POST /[datasets/]{repo}.git/info/lfs/objects/batch -> basic transfer upload actions
//   PUT  /lfs-upload/{oid}                             (the action href; sha256 checked)
//   POST /api/{type}s/{repo}/commit/{branch}          ndjson header/file/lfsFile -> {commitOid, commitUrl}
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

type Files = Map<string, Buffer>;
interface Repo {
  commits: Map<string, Files>;
  branches: Map<string, string>;
}

export interface FakeHub {
  url: string;
  /** Requests seen, as "METHOD path" (no query), for asserting which calls the client made. */
  calls: string[];
  createRepo(type: 'model' | 'dataset', name: string, files?: Record<string, string | Buffer>): string;
  files(type: 'model' | 'dataset', name: string, revision?: string): Files;
  close(): Promise<void>;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const gitOid = (b: Buffer) => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function json(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify(value));
}

function hubError(res: ServerResponse, status: number, code: string, message: string) {
  json(res, status, { error: message }, { 'X-Error-Code': code, 'X-Error-Message': message });
}

export async function startFakeHub(opts: {
  token: string;
  lfsThreshold?: number;
  pageSize?: number;
}): Promise<FakeHub> {
  const repos = new Map<string, Repo>();
  const lfs = new Map<string, Buffer>();
  const calls: string[] = [];
  const lfsThreshold = opts.lfsThreshold ?? 1024;
  const pageSize = opts.pageSize ?? 1000;
  let base = '';

  const repoKey = (type: string, name: string) => `${type}:${name}`;
  const resolve = (repo: Repo, rev: string): string | undefined =>
    repo.branches.get(rev) ?? (repo.commits.has(rev) ? rev : undefined);
  const authorized = (req: IncomingMessage) => req.headers.authorization === `Bearer ${opts.token}`;

  function commit(repo: Repo, branch: string, files: Files): string {
    const oid = randomBytes(20).toString('hex');
    repo.commits.set(oid, files);
    repo.branches.set(branch, oid);
    return oid;
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', base);
    const path = decodeURIComponent(url.pathname);
    calls.push(`${req.method} ${url.pathname}`);
    let m: RegExpExecArray | null;

    m =
      req.method === 'GET'
        ? /^\/api\/(models|datasets)\/([^/]+\/[^/]+)\/tree\/([^/]+)(?:\/(.*))?$/.exec(path)
        : null;
    if (m) {
      const repo = repos.get(repoKey(m[1] === 'models' ? 'model' : 'dataset', m[2] as string));
      if (!repo) return hubError(res, 404, 'RepoNotFound', `Repository not found: ${m[2]}`);
      const oid = resolve(repo, m[3] as string);
      if (!oid) return hubError(res, 404, 'RevisionNotFound', `Invalid rev id: ${m[3]}`);
      const under = m[4] ? `${m[4]}/` : '';
      const recursive = url.searchParams.get('recursive') === 'true';
      const entries: unknown[] = [];
      const dirs = new Set<string>();
      for (const [p, content] of [...(repo.commits.get(oid) as Files)].sort(([a], [b]) =>
        a.localeCompare(b),
      )) {
        if (!p.startsWith(under)) continue;
        const rest = p.slice(under.length);
        if (!recursive && rest.includes('/')) {
          const d = under + rest.split('/')[0];
          if (!dirs.has(d))
            entries.push({ type: 'directory', oid: gitOid(Buffer.from(d)), size: 0, path: d });
          dirs.add(d);
          continue;
        }
        const isLfs = content.length >= lfsThreshold;
        entries.push({
          type: 'file',
          oid: gitOid(content),
          size: content.length,
          path: p,
          ...(isLfs ? { lfs: { oid: sha256(content), size: content.length, pointerSize: 134 } } : {}),
        });
      }
      const cursor = Number(url.searchParams.get('cursor') ?? 0);
      const page = entries.slice(cursor, cursor + pageSize);
      const headers: Record<string, string> = {};
      if (cursor + pageSize < entries.length) {
        const next = new URL(url);
        next.searchParams.set('cursor', String(cursor + pageSize));
        headers.Link = `<${next.href}>; rel="next"`;
      }
      return json(res, 200, page, headers);
    }

    m =
      req.method === 'GET' || req.method === 'HEAD'
        ? /^\/(datasets\/)?([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path)
        : null;
    if (m) {
      const repo = repos.get(repoKey(m[1] ? 'dataset' : 'model', m[2] as string));
      if (!repo) return hubError(res, 404, 'RepoNotFound', `Repository not found: ${m[2]}`);
      const oid = resolve(repo, m[3] as string);
      if (!oid) return hubError(res, 404, 'RevisionNotFound', `Invalid rev id: ${m[3]}`);
      const content = repo.commits.get(oid)?.get(m[4] as string);
      if (!content) return hubError(res, 404, 'EntryNotFound', `Entry not found: ${m[4]}`);
      const etag = `"${content.length >= lfsThreshold ? sha256(content) : gitOid(content)}"`;
      const headers: Record<string, string> = {
        ETag: etag,
        'X-Repo-Commit': oid,
        'Accept-Ranges': 'bytes',
        'Content-Type': 'application/octet-stream',
      };
      const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
      if (range) {
        const start = Number(range[1]);
        const end = Math.min(range[2] ? Number(range[2]) : content.length - 1, content.length - 1);
        res.writeHead(206, {
          ...headers,
          'Content-Range': `bytes ${start}-${end}/${content.length}`,
          'Content-Length': String(end - start + 1),
        });
        return res.end(req.method === 'HEAD' ? undefined : content.subarray(start, end + 1));
      }
      res.writeHead(200, { ...headers, 'Content-Length': String(content.length) });
      return res.end(req.method === 'HEAD' ? undefined : content);
    }

    m =
      req.method === 'POST'
        ? /^\/api\/(models|datasets)\/([^/]+\/[^/]+)\/(preupload|commit)\/([^/]+)$/.exec(path)
        : null;
    if (m) {
      if (!authorized(req))
        return hubError(res, 401, 'Unauthorized', 'Invalid credentials in Authorization header');
      const repo = repos.get(repoKey(m[1] === 'models' ? 'model' : 'dataset', m[2] as string));
      if (!repo) return hubError(res, 404, 'RepoNotFound', `Repository not found: ${m[2]}`);
      const branch = m[4] as string;
      if (m[3] === 'preupload') {
        const payload = JSON.parse((await body(req)).toString()) as {
          files: { path: string; size: number; sample: string }[];
        };
        return json(res, 200, {
          files: payload.files.map((f) => ({
            path: f.path,
            uploadMode: f.size >= lfsThreshold ? 'lfs' : 'regular',
            shouldIgnore: false,
          })),
        });
      }
      if (req.headers['content-type'] !== 'application/x-ndjson')
        return hubError(res, 400, 'BadRequest', 'expected ndjson');
      const head = repo.branches.get(branch);
      const files: Files = new Map(head ? repo.commits.get(head) : []);
      const lines = (await body(req))
        .toString()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l));
      if (lines[0]?.key !== 'header')
        return hubError(res, 400, 'BadRequest', 'first line must be the header');
      for (const { key, value } of lines.slice(1)) {
        if (key === 'file')
          files.set(value.path, Buffer.from(value.content, value.encoding === 'base64' ? 'base64' : 'utf8'));
        else if (key === 'lfsFile') {
          const content = lfs.get(value.oid);
          if (!content || content.length !== value.size)
            return hubError(res, 400, 'BadRequest', `LFS object ${value.oid} not uploaded`);
          files.set(value.path, content);
        } else if (key === 'deletedFile') files.delete(value.path);
        else return hubError(res, 400, 'BadRequest', `unknown ndjson key ${key}`);
      }
      const oid = commit(repo, branch, files);
      return json(res, 200, {
        success: true,
        commitOid: oid,
        commitUrl: `${base}/${m[1] === 'models' ? '' : 'datasets/'}${m[2]}/commit/${oid}`,
        commitMessage: lines[0].value.summary,
      });
    }

    m =
      req.method === 'POST'
        ? /^\/(datasets\/)?([^/]+\/[^/]+)\.git\/info\/lfs\/objects\/batch$/.exec(path)
        : null;
    if (m) {
      if (!authorized(req))
        return hubError(res, 401, 'Unauthorized', 'Invalid credentials in Authorization header');
      const payload = JSON.parse((await body(req)).toString()) as {
        operation: string;
        transfers: string[];
        objects: { oid: string; size: number }[];
      };
      if (payload.operation !== 'upload' || !payload.transfers.includes('basic'))
        return hubError(res, 400, 'BadRequest', 'basic upload only');
      res.writeHead(200, {
        'Content-Type': 'application/vnd.git-lfs+json',
        'X-Request-Id': randomBytes(8).toString('hex'),
      });
      return res.end(
        JSON.stringify({
          transfer: 'basic',
          objects: payload.objects.map((o) => ({
            oid: o.oid,
            size: o.size,
            authenticated: true,
            ...(lfs.has(o.oid)
              ? {}
              : {
                  actions: {
                    upload: {
                      href: `${base}/lfs-upload/${o.oid}`,
                      expires_at: new Date(Date.now() + 3600_000).toISOString(),
                    },
                  },
                }),
          })),
        }),
      );
    }

    m = req.method === 'PUT' ? /^\/lfs-upload\/([0-9a-f]{64})$/.exec(path) : null;
    if (m) {
      const content = await body(req);
      if (sha256(content) !== m[1]) return hubError(res, 400, 'BadRequest', 'sha256 mismatch');
      lfs.set(m[1] as string, content);
      res.writeHead(200, { ETag: `"${m[1]}"` });
      return res.end();
    }

    hubError(res, 404, 'NotFound', `no route ${req.method} ${url.pathname}`);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err) => hubError(res, 500, 'Internal', String(err)));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: base,
    calls,
    createRepo(type, name, files = {}) {
      const repo: Repo = { commits: new Map(), branches: new Map() };
      repos.set(repoKey(type, name), repo);
      return commit(repo, 'main', new Map(Object.entries(files).map(([p, c]) => [p, Buffer.from(c)])));
    },
    files(type, name, revision = 'main') {
      const repo = repos.get(repoKey(type, name));
      const oid = repo && resolve(repo, revision);
      return (oid && repo?.commits.get(oid)) || new Map();
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
