import { InitialSchema1764374400000 } from './1764374400000-InitialSchema';

/** The one linear migration history, oldest first. */
export const MIGRATIONS: Function[] = [InitialSchema1764374400000];
