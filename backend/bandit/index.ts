// The bandit: policies, batch selection, scoring, "Why shown?" reasons and metrics.
export * from './policy';
export * from './selection';
export * from './scoring';
export * from './reasons';
export * from './metrics';
