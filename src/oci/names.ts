import { AppError } from '../errors/index.js';

// From the distribution spec: path components of lowercase alphanumerics joined by separators.
const repositoryName = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
const tagName = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
const maxRepositoryLength = 255;

export function isRepositoryName(name: string): boolean {
  return name.length <= maxRepositoryLength && repositoryName.test(name);
}

export function assertRepositoryName(name: string): string {
  if (!isRepositoryName(name)) {
    throw new AppError('NAME_INVALID', 'invalid repository name', { name });
  }
  return name;
}

export function isTag(reference: string): boolean {
  return tagName.test(reference);
}

export function assertTag(tag: string): string {
  if (!isTag(tag)) throw new AppError('MANIFEST_INVALID', 'invalid tag', { tag });
  return tag;
}
