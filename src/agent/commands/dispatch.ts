/**
 * `plinth-agent run` decides what this boot is for, from the datasource config the preseed left:
 *
 * 1. no credentials → enlistment (then commissioning, in the same boot, as MAAS does);
 * 2. a deploying machine (metadata URL on the `curtin/` tree, or the install plan answers 200) → the installer;
 * 3. anything else → the scripts the region serves (commissioning, testing, erasing/release scripts),
 *    and for rescue mode (no scripts) the OK that says the environment is up.
 */
import { configFiles, configFrom, datasourceFrom } from '../config.ts';
import { DEFAULT_RETRY, HttpError, send } from '../http.ts';
import { log } from '../log.ts';
import { enlist } from './enlist.ts';
import { install } from './install.ts';
import { run, type RunOptions } from './run.ts';

export async function dispatch(opts: RunOptions): Promise<number> {
  const retry = opts.retry ?? DEFAULT_RETRY;
  const files = configFiles(opts);
  const ds = datasourceFrom(files);
  if (ds.metadata_url && !(ds.consumer_key && ds.token_key && ds.token_secret)) {
    if (!/^https?:\/\//.test(ds.metadata_url)) throw new Error(`metadata_url '${ds.metadata_url}' is not an http(s) URL.`);
    log(`no credentials in the datasource config: enlisting through ${ds.metadata_url}`);
    const cfg = await enlist(ds.metadata_url, { rootDir: opts.rootDir, configFile: opts.configFile, retry });
    return cfg ? run({ ...opts, config: cfg }) : 0;
  }
  const cfg = configFrom(files);
  if (/\/curtin\/$/.test(cfg.metadata_url)) {
    log(`deploying (metadata ${cfg.metadata_url}): running the installer`);
    return install(cfg, { rootDir: opts.rootDir, workDir: opts.workDir, retry });
  }
  let plan: string | undefined;
  try {
    const reply = await send(cfg, retry, 'GET', 'latest/plinth/install-plan');
    if (reply.status === 200) plan = reply.body.toString();
  } catch (e) {
    // 4xx: not deploying (409) or no such route (an older region): the scripts flow.
    if (!(e instanceof HttpError)) throw e;
  }
  if (plan !== undefined) {
    log('the region has an install plan for this machine: running the installer');
    return install(cfg, { rootDir: opts.rootDir, workDir: opts.workDir, retry }, plan);
  }
  return run({ ...opts, config: cfg });
}
