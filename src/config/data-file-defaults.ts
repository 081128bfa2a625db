/**
 * The data file's settings when their variables are unset. Kept apart from
 * environment.ts (which imports class-validator) so that the entry point can start the
 * first load before anything heavy is imported (see dataset/first-load.ts).
 */
export const DEFAULT_DATA_FILE_PATH = 'data/example.data';
export const DEFAULT_ON_MALFORMED = 'fail';
