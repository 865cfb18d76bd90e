/**
 * The file answers of both API generations. Loaded on the first file request, so a process that
 * only runs code never loads zod (see execution-shape.ts).
 */
import { z } from 'zod';

const gen1FileProperties = z.looseObject({
  filename: z.string(),
  size: z.number().optional(),
  lastModifiedTime: z.string().optional(),
});

export const gen1FileList = z.looseObject({ value: z.array(z.looseObject({ properties: gen1FileProperties })) });

export type Gen1FileProperties = z.infer<typeof gen1FileProperties>;

const gen2ResourceFile = z.looseObject({
  name: z.string(),
  type: z.string().optional(),
  sizeInBytes: z.number().nullish(),
  lastModifiedAt: z.string().nullish(),
  directory: z.string().nullish(),
});

// The managed service wraps lists in `value`; some container images answer a bare array; both are read.
export const gen2FileList = z.union([z.looseObject({ value: z.array(gen2ResourceFile) }), z.array(gen2ResourceFile)]);
export const gen2Uploaded = z.union([gen2ResourceFile, z.array(gen2ResourceFile)]);

export type Gen2ResourceFile = z.infer<typeof gen2ResourceFile>;
