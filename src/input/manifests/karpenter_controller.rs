//! Karpenter's controller Deployment → the settings of the `karpenter` node autoscaler that
//! `models::autoscaler::config::KarpenterConfig` has: the provisioner's batching window
//! (`BATCH_IDLE_DURATION`/`--batch-idle-duration`, default 1s; `BATCH_MAX_DURATION`/
//! `--batch-max-duration`, default 10s) and the `SpotToSpotConsolidation` feature gate
//! (`FEATURE_GATES`/`--feature-gates`, default off). Names and defaults are Karpenter's
//! settings reference (`aws/karpenter-provider-aws`, `website/content/en/v0.37/reference/
//! settings.md`, generated from `kubernetes-sigs/karpenter` `pkg/operator/options`): each
//! flag's default is read from its environment variable, so a flag in `command`/`args` wins
//! over the variable. Every other variable, flag and feature gate is warned about as ignored,
//! with its place. The Deployment is recognised by its image (`…/karpenter/controller:tag`, as
//! the Helm chart installs it) and is not a service.

use sim::time::SimDuration;

use super::walk::{At, Warnings};
use crate::error::InputError;

const KIND: &str = "karpenter";

/// The settings a controller Deployment writes; `None` keeps Karpenter's default.
#[derive(Default)]
pub struct Settings {
    pub batch_idle_duration: Option<SimDuration>,
    pub batch_max_duration: Option<SimDuration>,
    pub spot_to_spot_consolidation: Option<bool>,
}

/// Whether `image` is Karpenter's controller: its repository path ends `karpenter/controller`
/// (any registry, tag or digest).
fn is_controller_image(image: &str) -> bool {
    let repository = image.split('@').next().unwrap_or(image);
    let last = repository.rsplit('/').next().unwrap_or(repository);
    let name = last.split(':').next().unwrap_or(last);
    let parent = repository.rsplit('/').nth(1);
    name == "controller" && parent == Some("karpenter")
}

/// Karpenter's controller container of a workload, if it runs one.
fn container<'a>(obj: &At<'a>) -> Result<Option<At<'a>>, InputError> {
    for c in obj.pod_containers()? {
        if let Some(image) = c.get("image")?
            && is_controller_image(image.str()?)
        {
            return Ok(Some(c));
        }
    }
    Ok(None)
}

/// Whether a workload runs Karpenter's controller.
pub fn is_karpenter(obj: &At) -> Result<bool, InputError> {
    Ok(container(obj)?.is_some())
}

/// The settings of Karpenter's controller container: its environment, then its flags.
pub fn settings(obj: &At, w: &mut Warnings) -> Result<Settings, InputError> {
    let mut s = Settings::default();
    let Some(c) = container(obj)? else {
        return Ok(s);
    };
    if let Some(env) = c.get("env")? {
        for var in env.items()? {
            let name = var.need("name")?;
            let Some(value) = var.get("value")? else {
                w.note(
                    &var,
                    format!(
                        "{KIND} variable {}: set from a reference, not read (its default kept)",
                        name.str()?
                    ),
                );
                continue;
            };
            let setting = match name.str()? {
                "BATCH_IDLE_DURATION" => "batch-idle-duration",
                "BATCH_MAX_DURATION" => "batch-max-duration",
                "FEATURE_GATES" => "feature-gates",
                other => {
                    w.note(
                        &var,
                        format!(
                            "{KIND} variable {other}: ignored (the simulator does not model it)"
                        ),
                    );
                    continue;
                }
            };
            set(&mut s, setting, &value.scalar()?, &value, w)?;
        }
    }
    let mut words = Vec::new();
    for key in ["command", "args"] {
        if let Some(list) = c.get(key)? {
            words.extend(list.items()?);
        }
    }
    let mut i = 0;
    while i < words.len() {
        let word = &words[i];
        i += 1;
        let text = word.scalar()?;
        let Some(flag) = text.strip_prefix("--").or_else(|| text.strip_prefix('-')) else {
            continue; // the program itself
        };
        let (name, value) = match flag.split_once('=') {
            Some((n, v)) => (n, v.to_owned()),
            None => match words.get(i) {
                Some(next) if !next.scalar()?.starts_with('-') => {
                    i += 1;
                    (flag, next.scalar()?)
                }
                // A flag without a value: a boolean one, none of which is modelled.
                _ => (flag, "true".to_owned()),
            },
        };
        set(&mut s, name, &value, word, w)?;
    }
    if let (Some(idle), Some(max)) = (s.batch_idle_duration, s.batch_max_duration)
        && max < idle
    {
        return Err(c.error(format!(
            "batch-max-duration {max} is shorter than batch-idle-duration {idle}: expected the \
             window's longest at least its idle time"
        )));
    }
    Ok(s)
}

/// Sets the setting of flag `name` from `value`, or warns that the flag is ignored.
fn set(
    s: &mut Settings,
    name: &str,
    value: &str,
    at: &At,
    w: &mut Warnings,
) -> Result<(), InputError> {
    let duration = || -> Result<SimDuration, InputError> {
        let d = SimDuration::parse(value).map_err(|e| at.error(e.message))?;
        if d.is_zero() {
            return Err(at.error(format!("`{name}` must be positive, found `{value}`")));
        }
        Ok(d)
    };
    match name {
        "batch-idle-duration" => s.batch_idle_duration = Some(duration()?),
        "batch-max-duration" => s.batch_max_duration = Some(duration()?),
        "feature-gates" => {
            for gate in value.split(',').filter(|g| !g.trim().is_empty()) {
                let (gate, on) = gate.split_once('=').ok_or_else(|| {
                    at.error(format!(
                        "expected `Gate=true` or `Gate=false`, found `{gate}`"
                    ))
                })?;
                let on = on.trim().parse::<bool>().map_err(|_| {
                    at.error(format!("expected true or false for {gate}, found `{on}`"))
                })?;
                match gate.trim() {
                    "SpotToSpotConsolidation" => s.spot_to_spot_consolidation = Some(on),
                    other => w.note(
                        at,
                        format!(
                            "{KIND} feature gate {other}: ignored (the simulator does not model it)"
                        ),
                    ),
                }
            }
        }
        other => w.note(
            at,
            format!("{KIND} flag --{other}: ignored (the simulator does not model it)"),
        ),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_controller_is_known_by_its_image() {
        assert!(is_controller_image(
            "public.ecr.aws/karpenter/controller:1.0.6@sha256:1eb1073b9f4ed8"
        ));
        assert!(is_controller_image("karpenter/controller"));
        assert!(!is_controller_image(
            "registry.k8s.io/kube-controller-manager:v1.31"
        ));
        assert!(!is_controller_image("example.com/shop/controller:1"));
    }
}
