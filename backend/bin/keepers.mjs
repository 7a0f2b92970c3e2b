#!/usr/bin/env node
// The `keepers` CLI entry. Node 20 cannot run .ts directly: register tsx's loader, then hand over.
import { register } from 'tsx/esm/api';

register();
await import('../cli.ts');
