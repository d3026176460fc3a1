export { importRegistry2, type ImportOptions } from './run.js';
export { driverSource, type SourceTree } from './source.js';
export { filesystemSource } from './filesystem-source.js';
export { s3Source, describeS3 } from './s3-source.js';
export { readRegistry2Storage, type Registry2Storage } from './registry2-config.js';
export { openArca, assertSeparate, assertSeparateBucket, type ArcaTarget } from './arca-target.js';
export { createReporter, type ImportReporter, type ImportTotals } from './reporter.js';
export { renderSummary, type ImportSummary, type ImportProblem } from './summary.js';
