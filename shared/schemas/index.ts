// Shared zod schemas: the release as the product sees it, keeper labels, selection metadata and the
// "Why shown?" reasons: one definition of each, used by shared/, backend/ and extension/.
// Types are z.infer of the schemas so runtime checks and static types cannot drift apart.

export {
  ReleaseSchema,
  ReleaseParseError,
  parseRelease,
  formatZodError,
  cleanName,
  type Release,
  type ReleaseInput,
} from './release';
export { releaseFromPoolRecord, releaseFromApiRelease, releaseFromBasicInformation } from './adapters';
export { RELEASE_LIMITS, releaseLimitProblem, BoundedReleaseSchema } from './limits';

export { KeeperLabelSchema, LabelSourceSchema, LabelledReleaseSchema, type KeeperLabel, type LabelSource, type LabelledRelease } from './labels';
export {
  ReasonSchema,
  SelectionItemSchema,
  ShownStrategySchema,
  StrategySchema,
  type Reason,
  type SelectionItem,
  type ShownStrategy,
  type Strategy,
} from './selection';
