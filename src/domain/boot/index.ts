/**
 * Boot configuration, pure: what a network-booting machine is told to do, rendered for iPXE, GRUB
 * and PXELINUX. See types.ts for the decision, paths.ts for the request names, render.ts to render.
 */
export * from './types.ts';
export { parseBootPath, bootPath, debianArch, type BootFileRequest } from './paths.ts';
export { renderBootConfig, renderPreloader } from './render.ts';
export { kernelCommandLine, kernelCommandLineText, imageUrl, splitOptions, type KernelCommandLine } from './cmdline.ts';
export { decisionProblems, assertDecision, imagePathProblem, hostPort, serverProblems } from './validate.ts';
export { grubQuote } from './loaders/grub.ts';
