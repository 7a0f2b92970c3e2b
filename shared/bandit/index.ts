// shared/bandit: batch selection (select.ts), triplet mining (triplets.ts) and the online update
// (online.ts) of the `seed` policy, DESIGN §4.
export * from './select';
export * from './triplets';
export * from './online';
export * from './learner';
