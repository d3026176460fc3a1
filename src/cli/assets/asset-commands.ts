import { Command } from 'commander';
import { assetKinds, type AssetKind } from './asset-rules.js';
import { createCommand } from './create-command.js';
import { manageCommands } from './manage-commands.js';
import { pullCommand } from './pull-command.js';
import { pushCommand } from './push-command.js';

const what: Record<AssetKind, string> = {
  model: 'models: weights, tokenizers and configs, versioned (CNCF ModelPack artifacts)',
  dataset: 'datasets: versioned folders of data',
  environment: 'environments: images or conda files that code runs in',
  component: 'components: command steps of a pipeline, with their code',
};

/** `arca model|dataset|environment|component push|pull|create|list|show|versions|delete|label|lineage`. */
export function assetCommands(): Command[] {
  return assetKinds.map((kind) => {
    const command = new Command(kind).description(what[kind]);
    for (const sub of [pushCommand(kind), pullCommand(kind), createCommand(kind), ...manageCommands(kind)])
      command.addCommand(sub);
    return command;
  });
}
