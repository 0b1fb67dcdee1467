// The boot test's HTTP server, run inside the test's network namespace (ip netns exec … node serve.mjs
// ADDR PORT DOCROOT). Serves files under DOCROOT (a path ending in / serves its `index`), ignores
// query strings, and prints one line per request so the test can see what the machine fetched.
import { createServer } from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import { join, normalize } from 'node:path';

const [addr, port, root] = process.argv.slice(2);
createServer((req, res) => {
  const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  const rel = normalize(path.endsWith('/') ? `${path}index` : path);
  let size = -1;
  try {
    if (rel.includes('..')) throw new Error('outside');
    const st = statSync(join(root, rel));
    if (st.isFile()) size = st.size;
  } catch { /* 404 below */ }
  process.stdout.write(`${req.method} ${req.url} ${size >= 0 ? 200 : 404}\n`);
  if (size < 0) {
    res.writeHead(404).end('not found\n');
    return;
  }
  res.writeHead(200, { 'content-length': size, 'content-type': 'application/octet-stream' });
  if (req.method === 'HEAD') res.end();
  else createReadStream(join(root, rel)).pipe(res);
}).listen(Number(port), addr, () => process.stdout.write(`listening ${addr}:${port}\n`));
