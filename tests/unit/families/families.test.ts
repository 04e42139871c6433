import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FAMILIES, defaultSchedulerConfig, guidanceScaleEmbedding, recognizeFamily, type FamilyEvidence } from '@/lib/diffusion/families';
import { createScheduler } from '@/lib/diffusion/schedulers';
import { parseSchedulerConfig } from '@/lib/models/manifest';

const ref = JSON.parse(readFileSync('tests/fixtures/families/guidance-embedding.json', 'utf8')) as {
  cases: Array<{ w: number; dim: number; embedding: number[] }>;
};

describe('guidanceScaleEmbedding (LCM timestep_cond)', () => {
  it.each(ref.cases)('matches diffusers/torch for w=$w, dim=$dim', ({ w, dim, embedding }) => {
    const got = guidanceScaleEmbedding(w, dim);
    expect(got.length).toBe(dim);
    let worst = 0;
    for (let i = 0; i < dim; i++) worst = Math.max(worst, Math.abs(got[i] - embedding[i]));
    // torch's float32 exp (vectorised, 1 ulp from correctly rounded) shifts each frequency by
    // up to 6e-8 relative; × w·1000 that moves the sine's argument by up to ~7e-8·|w|·1000.
    expect(worst).toBeLessThan(Math.max(2e-6, 1e-7 * Math.abs(w) * 1000));
  });

  it('puts the sines first and the cosines second', () => {
    const e = guidanceScaleEmbedding(0, 8);
    expect(Array.from(e)).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
  });
});

const none: FamilyEvidence = { names: [], unetInputs: ['sample', 'timestep', 'encoder_hidden_states'] };

describe('recognizeFamily', () => {
  it('reads LCM from the pipeline class, the scheduler class or timestep_cond', () => {
    expect(recognizeFamily({ ...none, pipelineClass: 'LatentConsistencyModelPipeline' }).family.id).toBe('lcm');
    expect(recognizeFamily({ ...none, schedulerClass: 'LCMScheduler' }).family.id).toBe('lcm');
    expect(recognizeFamily({ ...none, unetInputs: [...none.unetInputs, 'timestep_cond'] }).family.id).toBe('lcm');
  });

  it('reads Turbo from a name, before the width says SD 2.x', () => {
    const r = recognizeFamily({ ...none, names: ['https://huggingface.co/schmuell/sd-turbo-ort-web/resolve/main/'], crossAttentionDim: 1024 });
    expect(r.family.id).toBe('sd-turbo');
    expect(r.evidence).toMatch(/sd-turbo-ort-web/);
  });

  it('reads SD 1.x / 2.x from the width, the activation or the pad token', () => {
    expect(recognizeFamily({ ...none, crossAttentionDim: 768 }).family.id).toBe('sd1');
    expect(recognizeFamily({ ...none, crossAttentionDim: 1024 }).family.id).toBe('sd2');
    expect(recognizeFamily({ ...none, textEncoderActivation: 'quick_gelu' }).family.id).toBe('sd1');
    expect(recognizeFamily({ ...none, textEncoderActivation: 'gelu' }).family.id).toBe('sd2');
    expect(recognizeFamily({ ...none, padToken: '!' }).family.id).toBe('sd2');
    expect(recognizeFamily(none).family.id).toBe('sd');
  });

  it('offers what users of each family expect', () => {
    expect(FAMILIES['sd-turbo'].defaults).toMatchObject({ steps: 1, guidance: 0, width: 512, height: 512 });
    expect(FAMILIES.lcm.defaults).toMatchObject({ steps: 4, guidance: 8 });
    expect(FAMILIES.lcm.classifierFreeGuidance).toBe(false);
    expect(FAMILIES.sd1.defaults).toMatchObject({ steps: 25, guidance: 7.5, width: 512, height: 512 });
  });

  it.each(['sd1', 'sd2', 'sd-turbo', 'lcm', 'sd'] as const)('has a default scheduler config for %s that the schedulers accept', (id) => {
    const config = parseSchedulerConfig('(default)', defaultSchedulerConfig(id));
    const s = createScheduler('default', config);
    s.setTimesteps(4);
    expect(s.timesteps.length).toBeGreaterThan(0);
    if (id === 'sd-turbo') expect(s.timesteps[0]).toBe(999); // trailing spacing starts at the last training step
  });
});
