// The training frameworks a spec can name, as people read them.
export const FRAMEWORKS = { torch: 'PyTorch', jax: 'JAX', transformers: 'Transformers', peft: 'PEFT (LoRA)', diffusers: 'Diffusers' };

export function frameworkName(id) { return FRAMEWORKS[id] || id; }
