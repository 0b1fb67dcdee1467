/**
 * Which images directory a region's services use (`<data-dir>/images`, src/domain/boot/images.ts).
 * The composition root binds it once per ServiceContext (the region at start, `plinth images import`
 * for its run); a context without one refuses to store images rather than guess a directory.
 */
import { conflict } from '../../domain/errors.ts';
import type { ServiceContext } from '../context.ts';

const dirs = new WeakMap<ServiceContext, string>();

export function bindImagesDir(ctx: ServiceContext, dir: string): void {
  dirs.set(ctx, dir);
}

export const boundImagesDir = (ctx: ServiceContext): string | undefined => dirs.get(ctx);

export function imagesDirOf(ctx: ServiceContext): string {
  const dir = dirs.get(ctx);
  if (!dir) throw conflict('This region has no images directory, so boot resources cannot be stored or removed here.');
  return dir;
}
