"""Tickets (工单): intake, triage, the lifecycle and its actions, deadlines, queues and the timeline."""
