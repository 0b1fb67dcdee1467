/**
 * What a deployment installs: the boot resource named `<osystem>/<distro_series>` (a custom upload is
 * `custom/<name>`: osystem `custom`, distro_series `<name>`) with a complete root tarball (`root-tgz`)
 * or gzipped disk image (`root-dd.gz`) for the machine's architecture. The configured default
 * (default_osystem/default_distro_series, the image `plinth images build` makes) is always accepted
 * and, while the region has no record of it, installed from its layout path without a checksum.
 */
import { deployImagePath } from '../../domain/boot/images.ts';
import { invalid } from '../../domain/errors.ts';
import { bootResourcesRepo } from '../../store/repos/boot-resources.ts';
import { getConfig } from '../config.ts';
import type { Queryable } from '../context.ts';
import { NAME_PART } from './layout.ts';

export interface DeployImage { format: 'tgz' | 'ddgz'; path: string; sha256: string | null }

export async function deployImageFor(q: Queryable, osystem: string, series: string, arch: string): Promise<DeployImage> {
  const rows = await bootResourcesRepo.deployable(q, `${osystem}/${series}`);
  const f = rows.find((r) => r.architecture.split('/')[0] === arch);
  if (!f) return { format: 'tgz', path: deployImagePath(osystem, arch, series), sha256: null };
  return { format: f.filetype === 'root-dd.gz' ? 'ddgz' : 'tgz', path: f.path, sha256: f.sha256 };
}

/**
 * Refuses a deploy naming an image the region does not have, with MAAS's field error. Malformed
 * names are left to the lifecycle's own checks (services/lifecycle/deploy.ts), which word them.
 */
export async function checkDeployImage(q: Queryable, osystem?: string, distroSeries?: string): Promise<void> {
  let os = osystem?.trim() || undefined;
  let series = distroSeries?.trim() || undefined;
  if (series?.includes('/')) {
    const [a, b] = series.split('/', 2);
    if (os && os !== a) return; // the lifecycle reports the contradiction
    os = a; series = b;
  }
  const defOs = String(await getConfig(q, 'default_osystem'));
  const defSeries = String(await getConfig(q, 'default_distro_series'));
  os ??= defOs;
  series ??= defSeries;
  if (!NAME_PART.test(os) || !NAME_PART.test(series)) return;
  if (os === defOs && series === defSeries) return;
  const known = [...new Set([`${defOs}/${defSeries}`, ...(await bootResourcesRepo.deployableNames(q))])].sort();
  if (known.includes(`${os}/${series}`)) return;
  const choices = ["''", ...known.map((n) => `'${n}'`)].join(', ');
  if (!known.some((n) => n.startsWith(`${os}/`))) {
    throw invalid({ osystem: [`'${os}' is not a valid osystem.  It should be one of: ${["''", ...new Set(known.map((n) => `'${n.split('/')[0]}'`))].join(', ')}.`] });
  }
  throw invalid({ distro_series: [`'${distroSeries?.trim() || series}' is not a valid distro_series.  It should be one of: ${choices}.`] });
}
