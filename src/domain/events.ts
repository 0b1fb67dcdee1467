/** Event levels and the event types Plinth records (type names are what users read in listings). */
export const EventLevel = { DEBUG: 10, INFO: 20, AUDIT: 0, WARNING: 30, ERROR: 40, CRITICAL: 50 } as const;
export type EventLevelName = keyof typeof EventLevel;

export function levelName(level: number): EventLevelName {
  return (Object.entries(EventLevel).find(([, v]) => v === level)?.[0] ?? 'INFO') as EventLevelName;
}

export function parseLevel(name: string): number | undefined {
  const key = name.toUpperCase() as EventLevelName;
  return key in EventLevel ? EventLevel[key] : undefined;
}

/** Levels that a query at `level` includes: AUDIT is its own channel; others are "this or more severe". */
export function levelsAtOrAbove(level: number): number[] {
  if (level === EventLevel.AUDIT) return [EventLevel.AUDIT];
  return Object.values(EventLevel).filter((v) => v !== EventLevel.AUDIT && v >= level);
}
