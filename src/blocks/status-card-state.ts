import type { TaskEvent } from '../tasks/protocol.js';
import type { StatusCardView } from './status-card.js';

/**
 * Folds one task event into the status card's view. Pure: the reporter keeps the view,
 * applies each event in sequence order and re-renders. Elapsed time is the caller's to set
 * (it depends on the clock). Events that do not change the card return the view unchanged.
 */
export function applyTaskEvent(view: StatusCardView, event: TaskEvent): StatusCardView {
  switch (event.type) {
    case 'task_started':
      return { ...view, status: 'working', model: event.model, repo: event.repo, branch: event.branch, currentStep: { label: 'Thinking' } };
    case 'plan_updated':
      return { ...view, plan: event.steps };
    case 'agent_message':
      return view.status === 'working' ? { ...view, currentStep: { label: 'Thinking' } } : view;
    case 'command_started':
      return { ...view, currentStep: { label: 'Running', code: event.command } };
    case 'command_finished':
      return view.status === 'working' ? { ...view, currentStep: { label: 'Thinking' } } : view;
    case 'files_changed':
      return view;
    case 'approval_requested':
      return {
        ...view,
        status: 'waiting_for_approval',
        currentStep: event.command ? { label: 'Waiting for approval to run', code: event.command } : { label: `Waiting for approval (${event.kind})` },
      };
    case 'approval_resolved':
      return view.status === 'waiting_for_approval' ? { ...view, status: 'working', currentStep: { label: 'Thinking' } } : view;
    case 'steering_received':
      return { ...view, pendingSteering: (view.pendingSteering ?? 0) + 1 };
    case 'steering_applied': {
      const pending = Math.max(0, (view.pendingSteering ?? 0) - event.opIds.length);
      // Steering also resumes an interrupted task.
      return { ...view, pendingSteering: pending, ...(view.status === 'interrupted' ? { status: 'working' as const, currentStep: { label: 'Thinking' } } : {}) };
    }
    case 'token_usage':
      return { ...view, usage: event.usage };
    case 'task_interrupted':
      return { ...view, status: 'interrupted', currentStep: undefined };
    case 'task_completed':
      return { ...view, status: 'done', branch: event.branch, currentStep: undefined };
    case 'task_failed':
      return { ...view, status: 'failed', error: event.message, currentStep: undefined };
    case 'task_cancelled':
      return { ...view, status: 'cancelled', currentStep: undefined };
  }
}
