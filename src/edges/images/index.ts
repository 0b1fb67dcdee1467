/** The image builder (an edge: it drives host tools, not the region). */
export { buildImage, type BuildOptions, type BuildResult } from './build.ts';
export { ImageError } from './errors.ts';
export { IMAGE_KINDS, type ImageKind } from './profiles.ts';
