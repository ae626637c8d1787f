package mipush

import (
	"context"
	"errors"
)

// A message sent with Message.TimeToSend set is a scheduled job: the server
// keeps it until that time. Its job id is the message id of the send's
// Result (Result.ID); messages that carry Message.JobKey can also be
// addressed by that key.

// codeNotFound is the code the server answers for a job or message it does
// not know (65028, 消息不存在).
const codeNotFound = 65028

// JobExists reports whether the scheduled job jobID (the Result.ID of a
// scheduled send) is still waiting to be sent: POST /v2/schedule_job/exist
// with job_id. The server answers code 0 for a job that exists; an answer
// of code 65028 (message not found) is reported as false with a nil error,
// and any other failure as an error.
func (c *Client) JobExists(ctx context.Context, jobID string) (bool, error) {
	if err := checkRequired("job_id", jobID); err != nil {
		return false, err
	}
	_, err := c.do(ctx, postRequest("/v2/schedule_job/exist", appendParam(nil, "job_id", jobID)))
	var ae *APIError
	if errors.As(err, &ae) && ae.Code == codeNotFound {
		return false, nil
	}
	return err == nil, err
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
