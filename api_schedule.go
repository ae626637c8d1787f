package mipush

import (
	"context"
	"errors"
)

// A message sent with Message.TimeToSend set is a scheduled job: the server
// keeps it until that time. Its job id is the message id of the send's
// Result (Result.ID); messages that carry Message.JobKey can also be
// addressed by that key.

// JobExists reports whether the scheduled job jobID (the Result.ID of a
// scheduled send) is still waiting to be sent: POST /v2/schedule_job/exist
// with job_id.
//
// The server answers code 0 for a job that exists. What it answers for one
// that does not is not documented; a public client reads "anything else"
// as "it does not" (yilee/xiaomi-push), and the fake server answers 65028
// (message not found). So any error answer on HTTP 200 is reported as false
// with a nil error, except those that say nothing about the job: an
// authentication or app failure (21301–21305, 22000–22103, 10031), and
// answers that are retried (busy, too frequent) or HTTP errors, which are
// returned once the retries are spent, as is a transport error.
func (c *Client) JobExists(ctx context.Context, jobID string) (bool, error) {
	if err := checkRequired("job_id", jobID); err != nil {
		return false, err
	}
	_, err := c.do(ctx, postRequest("/v2/schedule_job/exist", appendParam(nil, "job_id", jobID)))
	if err == nil {
		return true, nil
	}
	if jobMissing(err) {
		return false, nil
	}
	return false, err
}

// jobMissing reports whether err is an answer of /v2/schedule_job/exist
// that means "no such job" (see JobExists).
func jobMissing(err error) bool {
	var ae *APIError
	if !errors.As(err, &ae) || ae.HTTPStatus != 200 || ae.Code == 0 || classify(ae) != classFail {
		return false
	}
	switch code := ae.Code; {
	case code >= 21301 && code <= 21305, code >= 22000 && code <= 22103, code == 10031:
		return false
	}
	return true
}

// DeleteJob cancels the scheduled job jobID (the Result.ID of a scheduled
// send): POST /v2/schedule_job/delete with job_id. A job that does not
// exist (any more) fails with an *APIError of code 65028.
func (c *Client) DeleteJob(ctx context.Context, jobID string) (*Result, error) {
	if err := checkRequired("job_id", jobID); err != nil {
		return nil, err
	}
	return c.do(ctx, postRequest("/v2/schedule_job/delete", appendParam(nil, "job_id", jobID)))
}

// DeleteJobsByKey cancels every scheduled job whose message carried
// extra.jobkey jobKey (Message.JobKey): POST /v3/schedule_job/delete with
// jobkey (sic: not job_key, which some clients send by mistake). jobKey
// follows the rules of Message.JobKey: at most 20 of [0-9A-Za-z_-], not
// starting with '_'.
func (c *Client) DeleteJobsByKey(ctx context.Context, jobKey string) (*Result, error) {
	if err := checkJobKeyParam("jobkey", jobKey); err != nil {
		return nil, err
	}
	return c.do(ctx, postRequest("/v3/schedule_job/delete", appendParam(nil, "jobkey", jobKey)))
}

// checkJobKeyParam checks a required job key sent as field.
func checkJobKeyParam(field, k string) error {
	if k == "" {
		return fieldError(field, "is required")
	}
	if err := checkJobKey(k); err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) {
			return fieldError(field, ve.Reason)
		}
		return err
	}
	return nil
}
